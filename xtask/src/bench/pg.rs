//! `cargo xtask bench pg`: brainstore's PostgreSQL backend against raw SQL on the same rows and server.
//!
//! The Rust example `storage-postgres/examples/bench_pg` prepares a `bench_pg` schema, the corpus
//! (storage-core's `BenchCorpus`, 384-d) as a binary COPY file and the scripts; this driver times `psql \copy`
//! of those rows (into a table identical to brainstore's, and into one whose HNSW index is built after),
//! lets the example ingest through brainstore, runs each query mode through `pgbench -M prepared` with the
//! same session settings, then the example measures brainstore and prints the side-by-side table.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use super::BenchArgs;
use crate::pg::{Flavor, start, stop};
use crate::project_root;

/// The modes the example writes a `pgbench_<mode>.sql` script for.
const MODES: [&str; 4] = ["vector", "keyword", "hybrid", "filtered"];

/// Stops the server on drop when this bench started it.
struct ServerGuard(bool);

impl Drop for ServerGuard {
    fn drop(&mut self) {
        if self.0 {
            if let Err(error) = stop(Flavor::Current) {
                eprintln!("xtask: could not stop the PostgreSQL server this bench started: {error}");
            }
        }
    }
}

pub(crate) fn run(args: &BenchArgs) -> crate::Result<ExitCode> {
    let root = project_root();
    let out = root.join(".cache").join("bench").join("pg");
    std::fs::create_dir_all(&out)?;
    let started = start(Flavor::Current)?;
    let _guard = ServerGuard(started.newly_started);
    let url = started.url;
    let common = vec![
        "--url".to_owned(),
        url.clone(),
        "--out".to_owned(),
        out.display().to_string(),
        "--rows".to_owned(),
        args.rows.to_string(),
        "--queries".to_owned(),
        args.queries.to_string(),
        "--batch".to_owned(),
        args.batch.min(10_000).to_string(),
    ];

    eprintln!("bench pg: preparing the schema, the corpus ({} rows) and the scripts", args.rows);
    run_example(&root, "prepare", &common)?;
    let plan = read_env(&out.join("plan.env"))?;
    let bindir = PathBuf::from(plan.get("bindir").ok_or("plan.env names no bindir")?);
    let transactions = plan.get("transactions").ok_or("plan.env names no transactions")?.clone();

    let mut copy_times = String::new();
    for (key, script) in [("indexed_seconds", "copy_indexed.sql"), ("deferred_seconds", "copy_deferred.sql")] {
        eprintln!("bench pg: psql -f {script}");
        let seconds = timed(Command::new(bindir.join("psql")).args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &url, "-f"]).arg(out.join(script)))?;
        eprintln!("bench pg: {script} took {seconds:.1} s");
        copy_times.push_str(&format!("{key}={seconds}\n"));
    }
    std::fs::write(out.join("copy.env"), copy_times)?;

    eprintln!("bench pg: ingesting through brainstore in batches of {}", args.batch.min(10_000));
    run_example(&root, "ingest", &common)?;

    // pgbench connections start with the settings brainstore's pool gives every session.
    let pg_options = "-c hnsw.ef_search=100 -c hnsw.iterative_scan=strict_order";
    for mode in MODES {
        for entry in std::fs::read_dir(&out)? {
            let path = entry?.path();
            if path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(&format!("log_{mode}."))) {
                std::fs::remove_file(path)?;
            }
        }
        let script = out.join(format!("pgbench_{mode}.sql"));
        let pgbench = || {
            let mut command = Command::new(bindir.join("pgbench"));
            command.env("PGOPTIONS", pg_options).args(["-n", "-M", "prepared", "-c", "1", "-j", "1"]);
            command
        };
        eprintln!("bench pg: pgbench {mode} (warm-up, then {transactions} logged transactions)");
        timed(pgbench().args(["-t", "200", "-f"]).arg(&script).arg(&url))?;
        let prefix = format!("--log-prefix={}", out.join(format!("log_{mode}")).display());
        timed(pgbench().args(["-t", transactions.as_str(), "-l", prefix.as_str(), "-f"]).arg(&script).arg(&url))?;
    }

    eprintln!("bench pg: measuring brainstore and recall");
    run_example(&root, "report", &common)?;
    Ok(ExitCode::SUCCESS)
}

fn run_example(root: &Path, phase: &str, common: &[String]) -> crate::Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root)
        .args(["run", "--release", "--quiet", "-p", "storage-postgres", "--features", "bench", "--example", "bench_pg", "--"])
        .arg(phase)
        .args(common)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("the bench_pg example failed in phase {phase} ({status})").into());
    }
    Ok(())
}

/// Runs `command` with its output discarded unless it fails; returns the seconds it took.
fn timed(command: &mut Command) -> crate::Result<f64> {
    let started = Instant::now();
    let output = command.output().map_err(|e| format!("cannot run {command:?}: {e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    if !output.status.success() {
        return Err(format!(
            "{:?} failed ({}): {}",
            command.get_program(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into());
    }
    Ok(seconds)
}

fn read_env(path: &Path) -> crate::Result<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(text.lines().filter_map(|line| line.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
}
