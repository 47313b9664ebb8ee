//! The Rust side of `cargo xtask bench pg`: brainstore's PostgreSQL backend against raw SQL on the same rows.
//!
//! Phases, run in order by the xtask driver (which runs `psql` and `pgbench` in between):
//! - `prepare`: a fresh `bench_pg` schema, three identical collections, the corpus as a binary COPY file
//!   (the bytes brainstore's own COPY sends), the query table and the `psql` scripts;
//! - `ingest`: upserts the corpus through `PostgresStore` in batches of one bulk load and records the time;
//! - `report`: writes `pgbench` scripts of the very statements brainstore sends (`scripts.rs`), runs the
//!   end-to-end rounds right after the load (`e2e.rs`: `brainstore search --queries` against `pgbench`),
//!   then runs the same queries through `PostgresStore` and `pgbench` in alternating rounds, measures
//!   recall@10 against an exact search and MRR@10 of the keyword leg, and prints the table.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod e2e;
mod memories;
mod scripts;
mod stats;

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::json;
use sqlx::Connection;
use storage_core::testing::bench_data::{BenchCorpus, BenchQuery, mrr_at_10};
use storage_core::{CollectionName, DocumentStore, EmbeddingSpace, Filter, Metric, SearchRequest};
use storage_postgres::{PostgresConfig, PostgresStore, SslMode};

pub(crate) const SCHEMA: &str = "bench_pg";
pub(crate) const DIMENSIONS: u32 = 384;
const SEED: u64 = 42;
const TOP_K: usize = 10;
/// Each query runs this many times through brainstore (and pgbench runs as many transactions).
pub(crate) const REPEATS: usize = 3;
/// Each pass over the queries is split into this many alternating rounds.
const ROUNDS_PER_PASS: usize = 4;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

struct Args {
    phase: String,
    url: String,
    out: PathBuf,
    rows: usize,
    queries: usize,
    batch: usize,
    /// Queries per end-to-end run.
    e2e_queries: usize,
    /// The `brainstore` binary for the end-to-end runs (none: they are skipped).
    brainstore: Option<PathBuf>,
}

fn parse_args() -> Result<Args> {
    let mut args = std::env::args().skip(1);
    let phase = args
        .next()
        .ok_or("usage: bench_pg prepare|ingest|report|remember|recall --url URL --out DIR [--rows N] [--queries N] [--batch N] [--e2e-queries N] [--brainstore PATH]")?;
    let mut parsed = Args {
        phase,
        url: String::new(),
        out: PathBuf::new(),
        rows: 100_000,
        queries: 200,
        batch: 5_000,
        e2e_queries: 1_000,
        brainstore: None,
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--url" => parsed.url = value,
            "--out" => parsed.out = PathBuf::from(value),
            "--rows" => parsed.rows = value.parse()?,
            "--queries" => parsed.queries = value.parse()?,
            "--batch" => parsed.batch = value.parse()?,
            "--e2e-queries" => parsed.e2e_queries = value.parse()?,
            "--brainstore" => parsed.brainstore = Some(PathBuf::from(value)),
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    if parsed.url.is_empty() || parsed.out.as_os_str().is_empty() {
        return Err("--url and --out are required".into());
    }
    Ok(parsed)
}

fn config(url: &str) -> Result<PostgresConfig> {
    let mut config = PostgresConfig::from_database_url(url)?;
    config.schema = SCHEMA.to_owned();
    config.ssl_mode = SslMode::Disable;
    (config.pool_size, config.pool_max_overflow) = (4, 4);
    Ok(config)
}

async fn open(url: &str) -> Result<PostgresStore> {
    let store = PostgresStore::connect(config(url)?).await?;
    store.initialize().await?;
    Ok(store)
}

fn collection(name: &str) -> CollectionName {
    CollectionName::new(name).expect("bench collection names are valid")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let outcome = match parse_args() {
        Ok(args) => match args.phase.as_str() {
            "prepare" => prepare(&args).await,
            "ingest" => ingest(&args).await,
            "report" => report(&args).await,
            "remember" => memories::remember(&args).await,
            "recall" => memories::recall(&args).await,
            other => Err(format!("unknown phase {other}").into()),
        },
        Err(error) => Err(error),
    };
    if let Err(error) = outcome {
        eprintln!("bench_pg: {error}");
        std::process::exit(1);
    }
}

async fn prepare(args: &Args) -> Result<()> {
    std::fs::create_dir_all(&args.out)?;
    let mut admin = sqlx::PgConnection::connect(&config(&args.url)?.connection_url()).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))).execute(&mut admin).await?;
    let store = open(&args.url).await?;
    let space = EmbeddingSpace::new(DIMENSIONS)?.with_model("bench", "clustered-384");
    for name in ["docs", "raw_indexed", "raw_deferred"] {
        store.create_collection(&collection(name), Some(&space)).await?;
    }
    store.close().await?;

    let corpus = BenchCorpus::new(args.rows, DIMENSIONS, SEED);
    let started = Instant::now();
    let chunks: Vec<_> = corpus.chunks().collect();
    let copy_file = args.out.join("rows.copy");
    std::fs::write(&copy_file, storage_postgres::bench::binary_copy(&chunks))?;
    eprintln!(
        "bench_pg: wrote {} rows to {} in {:.1} s",
        chunks.len(),
        copy_file.display(),
        started.elapsed().as_secs_f64()
    );

    let create = format!(
        "CREATE TABLE {SCHEMA}.bench_queries (qid int PRIMARY KEY, embedding vector({DIMENSIONS}) NOT NULL, \
         qtext text NOT NULL, category text NOT NULL)"
    );
    sqlx::query(sqlx::AssertSqlSafe(create)).execute(&mut admin).await?;
    let n_queries = args.queries.max(args.e2e_queries);
    let queries: Vec<_> = (0..n_queries).map(|idx| corpus.query(idx)).collect();
    let insert = format!(
        "INSERT INTO {SCHEMA}.bench_queries SELECT * FROM unnest($1::int[], $2::vector[], $3::text[], $4::text[])"
    );
    sqlx::query(sqlx::AssertSqlSafe(insert))
        .bind((0..n_queries).map(|q| i32::try_from(q).expect("few queries")).collect::<Vec<_>>())
        .bind(queries.iter().map(|q| pgvector::Vector::from(q.embedding.as_slice().to_vec())).collect::<Vec<_>>())
        .bind(queries.iter().map(|q| q.text.clone()).collect::<Vec<_>>())
        .bind(queries.iter().map(|q| q.category.clone()).collect::<Vec<_>>())
        .execute(&mut admin)
        .await?;
    let bindir: String =
        sqlx::query_scalar("SELECT setting FROM pg_config WHERE name = 'BINDIR'").fetch_one(&mut admin).await?;
    let server: String = sqlx::query_scalar("SELECT current_setting('server_version')").fetch_one(&mut admin).await?;
    let pgvector: String = sqlx::query_scalar("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        .fetch_one(&mut admin)
        .await?;
    std::fs::write(args.out.join("plan.env"), format!("bindir={bindir}\nserver={server}\npgvector={pgvector}\n"))?;
    scripts::write_copy_scripts(&args.out, &copy_file)?;
    Ok(())
}

async fn ingest(args: &Args) -> Result<()> {
    let store = open(&args.url).await?;
    let docs = collection("docs");
    let corpus = BenchCorpus::new(args.rows, DIMENSIONS, SEED);
    let mut chunks = corpus.chunks();
    let started = Instant::now();
    // As `brainstore ingest` does: the empty collection's HNSW index is built once, after the last batch.
    store.begin_bulk_load(&docs).await?;
    let mut written = 0u64;
    loop {
        let batch: Vec<_> = chunks.by_ref().take(args.batch).collect();
        if batch.is_empty() {
            break;
        }
        let batch_started = Instant::now();
        written += store.upsert(&docs, batch).await?.written();
        eprintln!("bench_pg: {written} rows ({:.1} s for the last batch)", batch_started.elapsed().as_secs_f64());
    }
    let build_started = Instant::now();
    store.finish_bulk_load(&docs).await?;
    eprintln!("bench_pg: built the HNSW index in {:.1} s", build_started.elapsed().as_secs_f64());
    let seconds = started.elapsed().as_secs_f64();
    std::fs::write(args.out.join("ingest.env"), format!("seconds={seconds}\nrows={written}\n"))?;
    eprintln!("bench_pg: ingested {written} rows in {seconds:.1} s ({:.0} rows/s)", written as f64 / seconds);
    // No VACUUM or ANALYZE here: queries run on the table as a load leaves it, which is what users query.
    store.close().await?;
    Ok(())
}

/// The exact top 10 of `query` over `vectors` (id order breaks ties).
fn exact_top(vectors: &[(String, Vec<f32>)], query: &[f32], keep: impl Fn(usize) -> bool) -> Vec<String> {
    let mut scored: Vec<(f64, &str)> = vectors
        .iter()
        .enumerate()
        .filter(|(idx, _)| keep(*idx))
        .map(|(_, (id, v))| (Metric::Cosine.distance(query, v), id.as_str()))
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    scored.into_iter().take(TOP_K).map(|(_, id)| id.to_owned()).collect()
}

/// The benchmark's requests of `mode` for `queries`.
fn requests(mode: &str, queries: &[BenchQuery]) -> Vec<SearchRequest> {
    queries
        .iter()
        .map(|q| match mode {
            "vector" => SearchRequest::vector(q.embedding.clone()).top_k(TOP_K),
            "keyword" => SearchRequest::keyword(q.text.clone()).top_k(TOP_K),
            "hybrid" => SearchRequest::hybrid(q.text.clone(), q.embedding.clone()).top_k(TOP_K),
            _ => SearchRequest::vector(q.embedding.clone())
                .top_k(TOP_K)
                .filter(Filter::from_json(&json!({"category": q.category})).expect("a valid filter")),
        })
        .collect()
}

const MODES: [&str; 4] = ["vector", "keyword", "hybrid", "filtered"];

async fn report(args: &Args) -> Result<()> {
    let store = open(&args.url).await?;
    let docs = collection("docs");
    let corpus = BenchCorpus::new(args.rows, DIMENSIONS, SEED);
    let all_queries: Vec<_> = (0..args.queries.max(args.e2e_queries)).map(|idx| corpus.query(idx)).collect();
    let admin_url = config(&args.url)?.connection_url();
    eprintln!("bench_pg: writing pgbench scripts of the statements brainstore sends");
    for mode in MODES {
        let requests = requests(mode, &all_queries);
        scripts::write_query_scripts(&args.out, &admin_url, &store, &docs, mode, &requests, args.queries).await?;
    }
    let pgbench = stats::Pgbench::new(&args.out, &args.url)?;
    let end_to_end = match &args.brainstore {
        Some(brainstore) => {
            let queries = &all_queries[..args.e2e_queries];
            e2e::measure(brainstore, &args.url, &args.out, &pgbench, queries)?
        }
        None => Vec::new(),
    };

    let queries = &all_queries[..args.queries];
    let mut measured = Vec::new();
    let mut answers: Vec<(&str, Vec<Vec<String>>)> = Vec::new();
    let mut mrr = Vec::new();
    for mode in MODES {
        let requests = requests(mode, queries);
        eprintln!("bench_pg: {mode}: warming up both sides");
        // The vector query also runs wrapped in `BEGIN; SET LOCAL …; COMMIT`, right beside it: what per-query
        // settings cost.
        let beside = (mode == "vector").then_some("vector_set_local");
        let (latency, mode_hits) = alternating(&pgbench, mode, beside, requests.len(), async |idx| {
            Ok(store.search(&docs, &requests[idx]).await?)
        })
        .await?;
        let first_relevant = mode_hits
            .iter()
            .zip(queries)
            .map(|(hits, query)| hits.iter().position(|hit| query.is_relevant(&hit.metadata)).map(|p| p + 1));
        mrr.push((mode, mrr_at_10(first_relevant)));
        answers.push((mode, mode_hits.into_iter().map(|hits| hits.into_iter().map(|h| h.id).collect()).collect()));
        measured.push((mode, latency));
    }
    store.close().await?;

    eprintln!("bench_pg: computing exact answers for recall");
    let vectors: Vec<(String, Vec<f32>)> =
        corpus.chunks().map(|c| (c.id.clone(), c.embedding.map(|e| e.into_vec()).unwrap_or_default())).collect();
    let categories: Vec<String> = corpus
        .chunks()
        .map(|c| c.metadata.get("category").and_then(|v| v.as_str()).unwrap_or_default().to_owned())
        .collect();
    let mut recalls = Vec::new();
    for (mode, mode_answers) in &answers {
        if *mode != "vector" && *mode != "filtered" {
            continue;
        }
        let mut found = 0usize;
        for (query, got) in queries.iter().zip(mode_answers) {
            let truth = if *mode == "vector" {
                exact_top(&vectors, query.embedding.as_slice(), |_| true)
            } else {
                exact_top(&vectors, query.embedding.as_slice(), |idx| categories[idx] == query.category)
            };
            found += got.iter().filter(|id| truth.contains(id)).count();
        }
        recalls.push((*mode, found as f64 / (queries.len() * TOP_K) as f64));
    }
    stats::print_report(&args.out, args.rows, &measured, &recalls, &mrr, &end_to_end)
}

/// Times `call(idx)` for each of `n_requests` requests, in `REPEATS * ROUNDS_PER_PASS` short rounds that each
/// follow a `pgbench` round of as many transactions of `mode` (and of `beside`, if any), so load from other
/// processes hits both sides alike; a warm-up pass of both sides comes first. Returns the latencies and the
/// answers of the first pass, in request order.
async fn alternating<T>(
    pgbench: &stats::Pgbench,
    mode: &str,
    beside: Option<&str>,
    n_requests: usize,
    mut call: impl AsyncFnMut(usize) -> Result<T>,
) -> Result<(stats::Latency, Vec<T>)> {
    pgbench.run(mode, None, n_requests)?;
    for idx in 0..n_requests {
        call(idx).await?;
    }
    let mut latencies = Vec::with_capacity(n_requests * REPEATS);
    let mut answers = Vec::with_capacity(n_requests);
    let per_round = n_requests.div_ceil(ROUNDS_PER_PASS);
    for round in 0..REPEATS * ROUNDS_PER_PASS {
        pgbench.run(mode, Some(round), per_round)?;
        if let Some(beside) = beside {
            pgbench.run(beside, Some(round), per_round)?;
        }
        let offset = (round % ROUNDS_PER_PASS) * per_round;
        for idx in (offset..n_requests).take(per_round) {
            let started = Instant::now();
            let answer = call(idx).await?;
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
            if round < ROUNDS_PER_PASS {
                answers.push(answer);
            }
        }
    }
    Ok((stats::Latency::of(latencies), answers))
}

/// Reads `key=value` lines.
pub(crate) fn read_env(path: &Path) -> Result<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(text.lines().filter_map(|line| line.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
}
