//! `cargo xtask bench <target>`: benchmarks run by hand; speed is measured here, never asserted in tests.

mod embed;
mod embedded;
mod ingest_memory;
mod pg;
mod python;
mod serve;

use std::path::Path;
use std::process::{Command, ExitCode};

use clap::{Args, ValueEnum};

use crate::project_root;

#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Which backend to benchmark.
    #[arg(value_enum)]
    pub(crate) target: BenchTarget,
    /// Chunks in the benchmark corpus.
    #[arg(long, default_value_t = 100_000)]
    pub(crate) rows: usize,
    /// Queries per measured mode.
    #[arg(long, default_value_t = 200)]
    pub(crate) queries: usize,
    /// Chunks per upsert batch, for both sides.
    #[arg(long, default_value_t = 5_000)]
    pub(crate) batch: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum BenchTarget {
    /// The local embedding provider beside sentence-transformers (PyTorch, CPU): texts/s and peak RSS
    /// (`--rows` caps the stdlib corpus at 12,000 texts).
    Embed,
    /// The embedded backend side by side with chromadb's persistent client on the same rows.
    Embedded,
    /// Peak RSS of `brainstore ingest` on a 1,000,000-line file (the other flags do not apply).
    IngestMemory,
    /// The `brainstore` Python package beside chromadb's `PersistentClient`, in process, on the same rows; then
    /// memory recall (at most 10,000 memories) beside a chromadb collection queried with `where` user.
    Python,
    /// The PostgreSQL backend side by side with `psql \copy` and `pgbench` on the same rows and server; then
    /// memories (at most 10,000): `remember` beside `psql \copy`, `recall` beside `pgbench` of its statements.
    Pg,
    /// `brainstore serve` on PostgreSQL under 200 concurrent HTTP clients for 30 s (`--rows` caps the corpus).
    Serve,
}

pub(crate) fn run(args: &BenchArgs) -> crate::Result<ExitCode> {
    match args.target {
        BenchTarget::Embed => embed::run(args),
        BenchTarget::Embedded => embedded::run(args),
        BenchTarget::IngestMemory => ingest_memory::run(),
        BenchTarget::Pg => pg::run(args),
        BenchTarget::Python => python::run(args),
        BenchTarget::Serve => serve::run(args),
    }
}

/// `--out <out> --rows N --queries N --batch N`: the corpus flags both bench examples take.
fn corpus_args(out: &Path, args: &BenchArgs, batch: usize) -> Vec<String> {
    vec![
        "--out".to_owned(),
        out.display().to_string(),
        "--rows".to_owned(),
        args.rows.to_string(),
        "--queries".to_owned(),
        args.queries.to_string(),
        "--batch".to_owned(),
        batch.to_string(),
    ]
}

/// `cargo run --release --quiet -p <package> [--features <f>..] --example <example> -- <args>` from the project
/// root (release: the benches measure optimized code).
fn run_example(package: &str, features: &[&str], example: &str, args: &[String]) -> crate::Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(project_root()).args(["run", "--release", "--quiet", "-p", package]);
    for feature in features {
        command.args(["--features", feature]);
    }
    let status =
        command.args(["--example", example, "--"]).args(args).status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("the {example} example failed ({status})").into()) }
}
