//! `cargo xtask bench serve`: 200 concurrent HTTP clients mix queries and upserts for 30 s against `brainstore serve` on PostgreSQL; prints p50/p95 latency and the pool, and fails on any 5xx or an inconsistent pool.
//!
//! The server (release build) runs on the PostgreSQL 18 test server in a schema of its own; the load client
//! is the Rust example `crates/server/examples/serve_load.rs`. All traffic stays on loopback, bounded in time.

use std::process::{Command, ExitCode};

use super::BenchArgs;
use crate::pg::{Flavor, StopOnDrop, start};
use crate::project_root;
use crate::server::{ServerProcess, build_brainstore};

/// Concurrent clients.
const CLIENTS: usize = 200;
/// Seconds of load.
const SECONDS: u64 = 30;
/// Vector length of the corpus.
const DIMENSIONS: usize = 64;
/// The most rows seeded before the load (`--rows` lowers it).
const MAX_ROWS: usize = 10_000;

pub(crate) fn run(args: &BenchArgs) -> crate::Result<ExitCode> {
    let started = start(Flavor::Current)?;
    let _guard = StopOnDrop::if_started(Flavor::Current, &started);
    eprintln!("bench serve: building brainstore and the load client (release)");
    let binary = build_brainstore(true)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let built = Command::new(&cargo)
        .current_dir(project_root())
        .args(["build", "--release", "--quiet", "-p", "server", "--example", "serve_load"])
        .status()?;
    if !built.success() {
        return Err("building the serve_load example failed".into());
    }
    let dir = tempfile::tempdir()?;
    let token = format!("bench-serve-token-{}", std::process::id());
    let env = [
        ("BRAINSTORE_BACKEND", "postgres".to_owned()),
        ("DATABASE_URL", started.url.clone()),
        ("BRAINSTORE__POSTGRES__SCHEMA", "bench_serve".to_owned()),
        ("BRAINSTORE_TOKEN", token.clone()),
    ];
    let mut server = ServerProcess::start(&binary, dir.path(), &env, &[])?;
    let rows = args.rows.min(MAX_ROWS);
    eprintln!(
        "bench serve: {CLIENTS} clients for {SECONDS} s against {} ({rows} rows, {DIMENSIONS} dimensions)",
        server.url
    );
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| project_root().join("target"), Into::into);
    let status = Command::new(target.join("release").join("examples").join("serve_load"))
        .args(["--url", &server.url, "--token", &token])
        .args(["--clients", &CLIENTS.to_string(), "--seconds", &SECONDS.to_string()])
        .args(["--rows", &rows.to_string(), "--dims", &DIMENSIONS.to_string()])
        .status()
        .map_err(|e| format!("cannot run the serve_load example: {e}"))?;
    let clean = server.stop();
    let log = std::fs::read_to_string(&server.log).unwrap_or_default();
    let server_errors = log.lines().filter(|line| line.contains("status=5")).count();
    if server_errors > 0 || !clean {
        eprintln!("bench serve: the server logged {server_errors} 5xx response(s); clean stop: {clean}");
        return Ok(ExitCode::FAILURE);
    }
    Ok(if status.success() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
