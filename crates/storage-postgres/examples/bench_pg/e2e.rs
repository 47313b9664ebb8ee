//! End to end, as a user runs it: the whole `brainstore search --queries FILE` process (start, connect, every
//! query, JSON lines out, exit) divided by its query count, beside the whole `pgbench` run of the same SQL
//! (`pgbench_e2e_<mode>.sql`) divided by its transaction count, in alternating rounds.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::json;
use storage_core::testing::bench_data::BenchQuery;

use super::stats::{Latency, Pgbench};
use super::{Result, SCHEMA};

/// Rounds per mode; each runs brainstore once and pgbench once.
pub(crate) const ROUNDS: usize = 3;

/// The modes measured end to end.
pub(crate) const MODES: [&str; 3] = ["vector", "keyword", "hybrid"];

/// One mode's end-to-end figures: milliseconds per query of each round, on each side.
#[derive(Clone, Debug, Default)]
pub(crate) struct EndToEnd {
    pub(crate) mode: &'static str,
    pub(crate) queries: usize,
    pub(crate) brainstore_ms: Vec<f64>,
    pub(crate) pgbench_ms: Vec<f64>,
    /// pgbench's own per-transaction latencies over every round (without process start and connect).
    pub(crate) pgbench_latency: Option<Latency>,
}

/// Writes `e2e_<mode>.jsonl`: one query line per benchmark query, as a user would.
fn write_queries(out: &Path, mode: &str, queries: &[BenchQuery]) -> Result<PathBuf> {
    let path = out.join(format!("e2e_{mode}.jsonl"));
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
    for (idx, query) in queries.iter().enumerate() {
        let line = match mode {
            "vector" => json!({"id": idx, "embedding": query.embedding.as_slice()}),
            "keyword" => json!({"id": idx, "text": query.text}),
            _ => json!({"id": idx, "text": query.text, "embedding": query.embedding.as_slice()}),
        };
        serde_json::to_writer(&mut file, &line)?;
        file.write_all(b"\n")?;
    }
    file.flush()?;
    Ok(path)
}

/// Runs `brainstore search --queries` once; returns the wall-clock seconds of the whole process.
fn run_brainstore(brainstore: &Path, url: &str, out: &Path, mode: &str, queries: &Path) -> Result<f64> {
    let results = std::fs::File::create(out.join(format!("e2e_{mode}.out.jsonl")))?;
    let started = Instant::now();
    let output = Command::new(brainstore)
        .current_dir(out)
        .env("BRAINSTORE__POSTGRES__SCHEMA", SCHEMA)
        .env("BRAINSTORE__POSTGRES__SSL_MODE", "disable")
        .args(["--backend", "postgres", "--database-url", url, "--collection", "docs", "search", "--top-k", "10"])
        .args(["--mode", mode, "--queries"])
        .arg(queries)
        .stdout(results)
        .stderr(Stdio::piped())
        .output()?;
    let seconds = started.elapsed().as_secs_f64();
    if !output.status.success() {
        return Err(format!("brainstore search {mode} failed: {}", String::from_utf8_lossy(&output.stderr)).into());
    }
    Ok(seconds)
}

/// Every mode's end-to-end figures.
pub(crate) fn measure(
    brainstore: &Path,
    url: &str,
    out: &Path,
    pgbench: &Pgbench,
    queries: &[BenchQuery],
) -> Result<Vec<EndToEnd>> {
    let mut figures = Vec::new();
    for mode in MODES {
        let file = write_queries(out, mode, queries)?;
        let n = queries.len() as f64;
        let mut figure = EndToEnd { mode, queries: queries.len(), ..EndToEnd::default() };
        eprintln!("bench_pg: end to end, {mode}: {} queries per run, {ROUNDS} rounds", queries.len());
        for round in 0..ROUNDS {
            let seconds = run_brainstore(brainstore, url, out, mode, &file)?;
            figure.brainstore_ms.push(seconds * 1000.0 / n);
            let started = Instant::now();
            pgbench.run(&format!("e2e_{mode}"), Some(round), queries.len())?;
            figure.pgbench_ms.push(started.elapsed().as_secs_f64() * 1000.0 / n);
        }
        figure.pgbench_latency = Some(pgbench.latency(&format!("e2e_{mode}"))?);
        figures.push(figure);
    }
    Ok(figures)
}

/// The median of a few figures.
pub(crate) fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}
