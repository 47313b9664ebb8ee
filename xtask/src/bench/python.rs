//! `cargo xtask bench python`: the `brainstore` Python package and chromadb's `PersistentClient`, both in
//! process, on the same corpus (storage-core's `BenchCorpus`, 384-d) and the same upsert and query workload.
//!
//! Steps: the `bench_embedded` example writes the corpus, queries and exact answers to `.cache/bench/`;
//! the bench venv there gets chromadb (as for `bench embedded`) and the package built with `--release`;
//! `chroma_baseline.py` measures chromadb, then `brainstore_python.py` measures brainstore and prints both;
//! both scripts run the workload of `bench_workload.py`.
//!
//! Then memory recall, which had no benchmark: the first rows (at most [`MEMORY_CAP`]) become memories of ten
//! users of one tenant, remembered one call at a time, and each query recalls one user's memories
//! (`Memories.recall` by vector, and hybrid with a word), beside chromadb's query of a collection with
//! `where` tenant and user, what an agent project does without brainstore; then each query recalls the whole
//! tenant by vector, beside chromadb's `where` tenant.

use std::process::{Command, ExitCode, Stdio};

use super::embedded::{ensure_chromadb, measure_chromadb, run_embedded};
use super::{BenchArgs, corpus_args};
use crate::project_root;

/// The brainstore side, and the table.
const BRAINSTORE_PYTHON: &str = include_str!("brainstore_python.py");

/// The most memories the memory recall part loads: brainstore remembers one memory per call, so a
/// 100,000-row corpus would make it the slowest part of the bench.
const MEMORY_CAP: usize = 10_000;

/// The maturin that builds the package into the bench venv (the test venv's pin).
const MATURIN: &str = "maturin==1.16.0";

pub(crate) fn run(args: &BenchArgs) -> crate::Result<ExitCode> {
    let out = project_root().join(".cache").join("bench");
    std::fs::create_dir_all(&out)?;
    eprintln!("bench python: writing the corpus ({} rows) and exact answers", args.rows);
    run_embedded(&corpus_args(&out, args, args.batch), &["--prepare"])?;

    let python = ensure_chromadb(&out)?;
    let venv = out.join("venv");
    let has_maturin = Command::new(&python)
        .args(["-m", "maturin", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if !has_maturin.success() {
        let status = Command::new(&python).args(["-m", "pip", "install", "--quiet", MATURIN]).status()?;
        if !status.success() {
            return Err(format!("`pip install {MATURIN}` failed").into());
        }
    }
    eprintln!("bench python: building the package with --release into {}", venv.display());
    crate::python::build_package(&venv, true)?;

    if args.rows > MEMORY_CAP {
        eprintln!("bench python: memory recall on the first {MEMORY_CAP} of the {} rows (its cap)", args.rows);
    }
    let baseline = measure_chromadb(&out, args.batch, MEMORY_CAP, "chroma-python.json")?;

    let script = out.join("brainstore_python.py");
    std::fs::write(&script, BRAINSTORE_PYTHON)?;
    eprintln!("bench python: measuring the brainstore package");
    let status = Command::new(&python)
        .arg(&script)
        .arg(&out)
        .arg(args.batch.to_string())
        .arg(&baseline)
        .arg(MEMORY_CAP.to_string())
        .status()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !status.success() {
        return Err(format!("the brainstore Python bench failed ({status})").into());
    }
    Ok(ExitCode::SUCCESS)
}
