//! `cargo xtask bench pg`: brainstore's PostgreSQL backend against raw SQL on the same rows and server.
//!
//! The Rust example `storage-postgres/examples/bench_pg` prepares a `bench_pg` schema, the corpus
//! (storage-core's `BenchCorpus`, 384-d) as a binary COPY file and the scripts; this driver times `psql \copy`
//! of those rows (into a table identical to brainstore's, and into one whose HNSW index is built after),
//! lets the example ingest through brainstore, then the example writes `pgbench` scripts of the statements
//! brainstore sends, runs `brainstore search --queries` (the release binary) and `pgbench` end to end right
//! after the load, runs each query mode through brainstore and through `pgbench -M prepared` in alternating
//! rounds and prints the side-by-side table. Then memories: the example remembers the first ≤ 10,000 rows one
//! call at a time, this driver times `psql \copy` of the same rows, and the example times recall beside
//! `pgbench` running the statements recall sends.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use super::{BenchArgs, corpus_args, run_example};
use crate::pg::{Flavor, StopOnDrop, start};
use crate::project_root;
use crate::server::build_brainstore;

pub(crate) fn run(args: &BenchArgs) -> crate::Result<ExitCode> {
    let root = project_root();
    let out = root.join(".cache").join("bench").join("pg");
    std::fs::create_dir_all(&out)?;
    let started = start(Flavor::Current)?;
    let _guard = StopOnDrop::if_started(Flavor::Current, &started);
    let url = started.url;
    eprintln!("bench pg: building brainstore (release) for the end-to-end runs");
    let brainstore = build_brainstore(true)?;
    let mut common = vec!["--url".to_owned(), url.clone()];
    common.extend(corpus_args(&out, args, args.batch.min(10_000)));

    eprintln!("bench pg: preparing the schema, the corpus ({} rows) and the scripts", args.rows);
    run_phase("prepare", &common)?;
    let plan = read_env(&out.join("plan.env"))?;
    let bindir = PathBuf::from(plan.get("bindir").ok_or("plan.env names no bindir")?);

    let mut copy_times = String::new();
    for (key, script) in [("indexed_seconds", "copy_indexed.sql"), ("deferred_seconds", "copy_deferred.sql")] {
        eprintln!("bench pg: psql -f {script}");
        let seconds = timed(&mut psql(&bindir, &url, &out.join(script)))?;
        eprintln!("bench pg: {script} took {seconds:.1} s");
        copy_times.push_str(&format!("{key}={seconds}\n"));
    }
    std::fs::write(out.join("copy.env"), copy_times)?;

    eprintln!("bench pg: ingesting through brainstore in batches of {}", args.batch.min(10_000));
    run_phase("ingest", &common)?;

    eprintln!("bench pg: end to end, then brainstore and pgbench in alternating rounds, then recall");
    common.extend(["--brainstore".to_owned(), brainstore.display().to_string()]);
    run_phase("report", &common)?;

    eprintln!("bench pg: memories: remembering through brainstore, one call per memory");
    run_phase("remember", &common)?;
    timed(&mut psql(&bindir, &url, &out.join("export_memories.sql")))?;
    let seconds = timed(&mut psql(&bindir, &url, &out.join("copy_memories.sql")))?;
    eprintln!("bench pg: memories: psql \\copy of the same rows took {seconds:.2} s");
    std::fs::write(out.join("memory_copy.env"), format!("seconds={seconds}\n"))?;
    eprintln!("bench pg: memories: recall through brainstore and pgbench in alternating rounds");
    run_phase("recall", &common)?;
    Ok(ExitCode::SUCCESS)
}

fn psql(bindir: &Path, url: &str, script: &Path) -> Command {
    let mut command = Command::new(bindir.join("psql"));
    command.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f"]).arg(script);
    command
}

fn run_phase(phase: &str, common: &[String]) -> crate::Result<()> {
    let args: Vec<String> = std::iter::once(phase.to_owned()).chain(common.iter().cloned()).collect();
    run_example("storage-postgres", &["bench"], "bench_pg", &args).map_err(|e| format!("{e} in phase {phase}").into())
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
