//! The raw-SQL side: `psql \copy` scripts and `pgbench` scripts with the queries a person would write by
//! hand against the same table (the query vector and text come from `bench_queries`, picked at random).

use std::path::Path;

use super::{DIMENSIONS, Result, SCHEMA};

fn docs() -> String {
    format!("{SCHEMA}.bs_chunks_docs")
}

fn query_vector() -> String {
    format!("(SELECT embedding FROM {SCHEMA}.bench_queries WHERE qid = :q)")
}

fn query_text() -> String {
    format!("(SELECT qtext FROM {SCHEMA}.bench_queries WHERE qid = :q)")
}

fn vector_sql() -> String {
    let (t, q) = (docs(), query_vector());
    format!(
        "SELECT id, \"text\", metadata, embedding <=> {q} AS distance FROM {t} ORDER BY embedding <=> {q} LIMIT 10;"
    )
}

fn keyword_sql() -> String {
    let (t, q) = (docs(), query_text());
    format!(
        "SELECT id, \"text\", metadata, ts_rank_cd(tsv, query) AS rank FROM {t}, websearch_to_tsquery('english', {q}) AS query \
         WHERE tsv @@ query ORDER BY rank DESC LIMIT 10;"
    )
}

fn hybrid_sql() -> String {
    let (t, v, k) = (docs(), query_vector(), query_text());
    format!(
        "WITH v AS (SELECT id, row_number() OVER (ORDER BY d) AS r FROM (SELECT id, embedding <=> {v} AS d FROM {t} \
         ORDER BY embedding <=> {v} LIMIT 50) AS s), \
         k AS (SELECT id, row_number() OVER (ORDER BY rank DESC) AS r FROM (SELECT id, ts_rank_cd(tsv, query) AS rank \
         FROM {t}, websearch_to_tsquery('english', {k}) AS query WHERE tsv @@ query ORDER BY rank DESC LIMIT 50) AS s) \
         SELECT d.id, d.\"text\", d.metadata, COALESCE(1.0 / (60 + v.r), 0) + COALESCE(1.0 / (60 + k.r), 0) AS score \
         FROM v FULL JOIN k ON v.id = k.id JOIN {t} AS d ON d.id = COALESCE(v.id, k.id) ORDER BY score DESC LIMIT 10;"
    )
}

fn filtered_sql() -> String {
    let (t, q) = (docs(), query_vector());
    format!(
        "SELECT id, \"text\", metadata, embedding <=> {q} AS distance FROM {t} WHERE metadata @> \
         jsonb_build_object('category', (SELECT category FROM {SCHEMA}.bench_queries WHERE qid = :q)) \
         ORDER BY embedding <=> {q} LIMIT 10;"
    )
}

/// Writes `copy_indexed.sql`, `copy_deferred.sql` and one `pgbench_<mode>.sql` per mode.
pub(crate) fn write_all(out: &Path, copy_file: &Path, queries: usize) -> Result<()> {
    let columns = "(id, \"text\", metadata, embedding, tsv, n_terms)";
    let source = format!("FROM '{}' WITH (FORMAT binary)", copy_file.display());
    std::fs::write(
        out.join("copy_indexed.sql"),
        format!("\\copy {SCHEMA}.bs_chunks_raw_indexed {columns} {source}\n"),
    )?;
    std::fs::write(
        out.join("copy_deferred.sql"),
        format!(
            "SET maintenance_work_mem = '1GB';\n\
             DROP INDEX {SCHEMA}.bs_chunks_raw_deferred_embedding;\n\
             \\copy {SCHEMA}.bs_chunks_raw_deferred {columns} {source}\n\
             CREATE INDEX bs_chunks_raw_deferred_embedding ON {SCHEMA}.bs_chunks_raw_deferred \
             USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);\n"
        ),
    )?;
    let pick = format!("\\set q random(0, {})\n", queries.saturating_sub(1));
    // The vector query wrapped the way a query needing its own HNSW settings runs: what `SET LOCAL` costs.
    let set_local = format!("BEGIN;\nSELECT set_config('hnsw.ef_search', '100', true);\n{}\nCOMMIT;", vector_sql());
    for (mode, sql) in [
        ("vector", vector_sql()),
        ("keyword", keyword_sql()),
        ("hybrid", hybrid_sql()),
        ("filtered", filtered_sql()),
        ("vector_set_local", set_local),
    ] {
        std::fs::write(out.join(format!("pgbench_{mode}.sql")), format!("{pick}{sql}\n"))?;
    }
    let mut plan = std::fs::read_to_string(out.join("plan.env")).unwrap_or_default();
    plan.push_str(&format!("dimensions={DIMENSIONS}\n"));
    std::fs::write(out.join("plan.env"), plan)?;
    Ok(())
}
