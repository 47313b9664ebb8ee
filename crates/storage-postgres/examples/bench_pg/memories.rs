//! The memory part: the first ≤ 10,000 corpus rows remembered as memories of 10 users of one tenant (the
//! workload of `cargo xtask bench python`), one `remember` call per memory, beside `psql \copy` of the same
//! rows into a table with the same columns and indexes; then recall, one call at a time, beside `pgbench`
//! running the statements `recall` sends (space read, candidates, access bump) with the same parameters.
//!
//! Phases: `remember` loads and writes the `psql` scripts; the xtask driver times the copy; `recall` measures
//! and prints.

use std::time::Instant;

use chrono::Utc;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, Row};
use storage_core::memory::{MemoryStore, NewMemory, RecallRequest, RememberAction, RememberOptions, Scope};
use storage_core::testing::bench_data::{BenchCorpus, BenchQuery};
use storage_core::{DocumentStore, EmbeddingSpace};
use storage_postgres::bench::{SearchSql, pgbench_script, pick_query, recall_sql};
use uuid::Uuid;

use super::stats::{self, Latency, Pgbench, session_settings};
use super::{Args, DIMENSIONS, Result, SCHEMA, SEED, TOP_K, alternating, config, exact_top, open};

const TENANT: &str = "bench";
pub(crate) const USERS: u64 = 10;
const MAX_MEMORIES: usize = 10_000;
const MODEL: &str = "clustered-384";

/// The recalls measured: (mode, scoped to the query's user, with the query's text).
const MODES: [(&str, bool, bool); 3] =
    [("memory_user", true, false), ("memory_tenant", false, false), ("memory_hybrid", true, true)];

/// The user of a corpus row or query: its category number (`catNN`) modulo the number of users, as the
/// python bench assigns them.
fn user_of(category: &str) -> String {
    let number: u64 = category.trim_start_matches("cat").parse().unwrap_or(0);
    format!("user{:02}", number % USERS)
}

fn category_of(chunk: &storage_core::Chunk) -> String {
    chunk.metadata.get("category").and_then(|v| v.as_str()).unwrap_or_default().to_owned()
}

/// Remembers the memories through brainstore and writes the baseline's scripts.
pub(crate) async fn remember(args: &Args) -> Result<()> {
    let store = open(&args.url).await?;
    let space = EmbeddingSpace::new(DIMENSIONS)?.with_model("bench", MODEL);
    store.set_memory_embedding_space(&space).await?;
    let corpus = BenchCorpus::new(args.rows, DIMENSIONS, SEED);
    let count = args.rows.min(MAX_MEMORIES);
    // As an agent remembers: one call at a time, each with the default dedup check and its audit entry.
    let options = RememberOptions::default();
    let mut ids = String::new();
    let mut merged = 0usize;
    let started = Instant::now();
    for chunk in corpus.chunks().take(count) {
        let mut memory = NewMemory::new(Scope::tenant(TENANT).user(user_of(&category_of(&chunk))), chunk.text);
        memory.embedding = chunk.embedding;
        memory.embedding_model = Some(MODEL.to_owned());
        let outcome = store.remember(memory, &options).await?;
        if !matches!(outcome.action, RememberAction::Created) {
            merged += 1;
        }
        ids.push_str(&format!("{}\n", outcome.memory.id));
    }
    let seconds = started.elapsed().as_secs_f64();
    eprintln!("bench_pg: remembered {count} memories in {seconds:.1} s ({:.0}/s)", count as f64 / seconds);
    std::fs::write(args.out.join("memory_ids.txt"), ids)?;
    std::fs::write(args.out.join("memories.env"), format!("seconds={seconds}\nrows={count}\nmerged={merged}\n"))?;
    store.close().await?;

    let mut admin = sqlx::PgConnection::connect(&config(&args.url)?.connection_url()).await?;
    let raw = format!("{SCHEMA}.bench_memories_raw");
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE IF EXISTS {raw}"))).execute(&mut admin).await?;
    // The same columns, constraints and indexes (HNSW, GIN, scope) as brainstore's table.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE TABLE {raw} (LIKE {SCHEMA}.bs_memories INCLUDING ALL)")))
        .execute(&mut admin)
        .await?;
    admin.close().await?;
    let copy_file = args.out.join("memories.copy");
    std::fs::write(
        args.out.join("export_memories.sql"),
        format!("\\copy {SCHEMA}.bs_memories TO '{}' WITH (FORMAT binary)\n", copy_file.display()),
    )?;
    std::fs::write(
        args.out.join("copy_memories.sql"),
        format!("\\copy {raw} FROM '{}' WITH (FORMAT binary)\n", copy_file.display()),
    )?;
    Ok(())
}

/// One recall mode's requests for `queries`.
fn requests(queries: &[BenchQuery], by_user: bool, with_text: bool) -> Vec<RecallRequest> {
    queries
        .iter()
        .map(|query| {
            let scope = Scope::tenant(TENANT);
            let mut request = RecallRequest::new(if by_user { scope.user(user_of(&query.category)) } else { scope });
            request.embedding = Some(query.embedding.clone());
            request.text = with_text.then(|| query.text.clone());
            request.limit = TOP_K;
            request
        })
        .collect()
}

/// One mode's figures.
pub(crate) struct RecallFigures {
    pub(crate) mode: &'static str,
    pub(crate) brainstore: Latency,
    pub(crate) raw: Latency,
    /// recall@10 against the exact top 10 of the scope, of brainstore's answers and of the raw SQL's (its
    /// candidates' 10 nearest), when the mode has an exact answer.
    pub(crate) recall: Option<(f64, f64)>,
}

/// Recalls through brainstore and `pgbench` in alternating rounds, then prints the table.
pub(crate) async fn recall(args: &Args) -> Result<()> {
    let store = open(&args.url).await?;
    let ids: Vec<Uuid> = std::fs::read_to_string(args.out.join("memory_ids.txt"))?
        .lines()
        .map(Uuid::parse_str)
        .collect::<std::result::Result<_, _>>()?;
    let corpus = BenchCorpus::new(args.rows, DIMENSIONS, SEED);
    let (vectors, users): (Vec<(String, Vec<f32>)>, Vec<String>) = corpus
        .chunks()
        .zip(&ids)
        .map(|(chunk, id)| {
            let user = user_of(&category_of(&chunk));
            ((id.to_string(), chunk.embedding.map(|e| e.into_vec()).unwrap_or_default()), user)
        })
        .unzip();
    let queries: Vec<BenchQuery> = (0..args.queries).map(|idx| corpus.query(idx)).collect();
    let mut raw_client =
        sqlx::PgConnection::connect_with(&args.url.parse::<PgConnectOptions>()?.options(session_settings())).await?;
    let mut admin = sqlx::PgConnection::connect(&config(&args.url)?.connection_url()).await?;

    let mut statements = Vec::new();
    for (mode, by_user, with_text) in MODES {
        let requests = requests(&queries, by_user, with_text);
        let mut sqls = Vec::with_capacity(requests.len());
        for request in &requests {
            // The access bump names the hits, so brainstore answers first; this is also its warm-up.
            let hits: Vec<Uuid> = store.recall(request).await?.iter().map(|hit| hit.memory.id).collect();
            sqls.push(recall_sql(&store, request, hits, Utc::now()).await?);
        }
        let script = pgbench_script(&mut admin, SCHEMA, mode, &sqls).await?;
        std::fs::write(args.out.join(format!("pgbench_{mode}.sql")), format!("{}{script}", pick_query(sqls.len())))?;
        statements.push((mode, by_user, with_text, requests, sqls));
    }
    admin.close().await?;

    let pgbench = Pgbench::new(&args.out, &args.url)?;
    let mut figures = Vec::new();
    for (mode, by_user, with_text, requests, sqls) in statements {
        eprintln!("bench_pg: {mode}: warming up both sides");
        let (brainstore, answers) =
            alternating(&pgbench, mode, None, requests.len(), async |idx| Ok(store.recall(&requests[idx]).await?))
                .await?;
        // A hybrid recall has no exact answer to hold it to.
        let recall = if with_text {
            None
        } else {
            let truth = |query: &BenchQuery| {
                let user = user_of(&query.category);
                exact_top(&vectors, query.embedding.as_slice(), |idx| !by_user || users[idx] == user)
            };
            let (mut ours, mut raw) = (0usize, 0usize);
            for ((query, hits), sql) in queries.iter().zip(&answers).zip(&sqls) {
                let truth = truth(query);
                ours += hits.iter().filter(|hit| truth.contains(&hit.memory.id.to_string())).count();
                raw += nearest_of(sql, &mut raw_client).await?.iter().filter(|id| truth.contains(id)).count();
            }
            let all = (queries.len() * TOP_K) as f64;
            Some((ours as f64 / all, raw as f64 / all))
        };
        figures.push(RecallFigures { mode, brainstore, raw: pgbench.latency(mode)?, recall });
    }
    raw_client.close().await?;
    store.close().await?;
    stats::print_memory_report(&args.out, &figures)
}

/// The 10 nearest ids among the raw SQL's candidates: what a client of the statement alone would answer.
async fn nearest_of(sql: &SearchSql, conn: &mut sqlx::PgConnection) -> Result<Vec<String>> {
    let mut rows: Vec<(f64, Uuid)> = Vec::new();
    for row in sql.fetch(conn).await? {
        rows.push((row.try_get::<Option<f64>, _>("distance")?.unwrap_or(f64::INFINITY), row.try_get("id")?));
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(rows.into_iter().take(TOP_K).map(|(_, id)| id.to_string()).collect())
}
