//! The raw-SQL side: `psql \copy` scripts of the corpus, and `pgbench` scripts that run, for a random query,
//! the very statements brainstore sends (`storage_postgres::bench::pgbench_script`), their parameters read
//! from a table of the values brainstore binds.

use std::path::Path;

use sqlx::Connection;
use storage_core::{CollectionName, SearchRequest};
use storage_postgres::PostgresStore;
use storage_postgres::bench::{pgbench_script, pick_query, search_sql};

use super::{DIMENSIONS, Result, SCHEMA};

/// Writes `copy_indexed.sql` and `copy_deferred.sql`.
pub(crate) fn write_copy_scripts(out: &Path, copy_file: &Path) -> Result<()> {
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
    let mut plan = std::fs::read_to_string(out.join("plan.env")).unwrap_or_default();
    plan.push_str(&format!("dimensions={DIMENSIONS}\n"));
    std::fs::write(out.join("plan.env"), plan)?;
    Ok(())
}

/// Writes, for `mode`, `pgbench_<mode>.sql` (a random one of the first `latency_queries` requests, for the
/// latency rounds) and `pgbench_e2e_<mode>.sql` (a random one of all of them, for the end-to-end runs).
pub(crate) async fn write_query_scripts(
    out: &Path,
    url: &str,
    store: &PostgresStore,
    collection: &CollectionName,
    mode: &str,
    requests: &[SearchRequest],
    latency_queries: usize,
) -> Result<()> {
    let statements = search_sql(store, collection, requests).await?;
    if statements.len() != requests.len() {
        return Err(format!(
            "{mode}: {} of {} queries send no statement",
            requests.len() - statements.len(),
            requests.len()
        )
        .into());
    }
    let mut admin = sqlx::PgConnection::connect(url).await?;
    let body = pgbench_script(&mut admin, SCHEMA, mode, &statements).await?;
    std::fs::write(out.join(format!("pgbench_{mode}.sql")), format!("{}{body}", pick_query(latency_queries)))?;
    std::fs::write(out.join(format!("pgbench_e2e_{mode}.sql")), format!("{}{body}", pick_query(statements.len())))?;
    if mode == "vector" {
        // The same query wrapped the way a query needing its own HNSW settings runs: what `SET LOCAL` costs.
        let wrapped = format!(
            "{}BEGIN;\nSELECT set_config('hnsw.ef_search', '100', true);\n{body}COMMIT;\n",
            pick_query(latency_queries)
        );
        std::fs::write(out.join("pgbench_vector_set_local.sql"), wrapped)?;
    }
    admin.close().await?;
    Ok(())
}
