//! `cargo xtask bench embedded`: brainstore's embedded backend and chromadb's persistent client on the same
//! corpus (storage-core's `BenchCorpus`, 384-d), one side-by-side table with ratios.
//!
//! Steps: the Rust example writes the corpus, queries and exact answers to `.cache/bench/`; a git-ignored
//! venv there gets `chromadb` from PyPI; `chroma_baseline.py` measures chromadb; the example measures
//! brainstore and prints the table.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use super::{BenchArgs, corpus_args, run_example};
use crate::project_root;

/// The chromadb side, kept beside this module and written into the cache folder to run.
const CHROMA_BASELINE: &str = include_str!("chroma_baseline.py");

/// The corpus loading and query loop both Python sides share, so they measure the same workload.
const BENCH_WORKLOAD: &str = include_str!("bench_workload.py");

pub(crate) fn run(args: &BenchArgs) -> crate::Result<ExitCode> {
    let root = project_root();
    let out = root.join(".cache").join("bench");
    std::fs::create_dir_all(&out)?;
    let common = corpus_args(&out, args, args.batch);
    eprintln!("bench embedded: writing the corpus ({} rows) and exact answers", args.rows);
    run_embedded(&common, &["--prepare"])?;

    let baseline = measure_chromadb(&out, args.batch, 0, "chroma.json")?;

    eprintln!("bench embedded: measuring brainstore");
    run_embedded(&common, &["--baseline", &baseline.display().to_string()])?;
    Ok(ExitCode::SUCCESS)
}

/// Measures chromadb's persistent client on the corpus in `out` (creating the bench venv on first use) and
/// writes its figures to `out/<result>`, which it returns. `memories` > 0 adds the memory recall workload on
/// at most that many rows.
pub(super) fn measure_chromadb(out: &Path, batch: usize, memories: usize, result: &str) -> crate::Result<PathBuf> {
    let python = ensure_chromadb(out)?;
    std::fs::write(out.join("bench_workload.py"), BENCH_WORKLOAD)?;
    let script = out.join("chroma_baseline.py");
    std::fs::write(&script, CHROMA_BASELINE)?;
    eprintln!("bench: measuring chromadb's persistent client");
    let output = Command::new(&python)
        .arg(&script)
        .arg(out)
        .arg(batch.to_string())
        .arg(memories.to_string())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !output.status.success() {
        return Err(format!("the chromadb baseline failed ({})", output.status).into());
    }
    let baseline = out.join(result);
    std::fs::write(&baseline, &output.stdout)?;
    Ok(baseline)
}

pub(super) fn run_embedded(common: &[String], extra: &[&str]) -> crate::Result<()> {
    let args: Vec<String> = common.iter().cloned().chain(extra.iter().map(|arg| (*arg).to_owned())).collect();
    run_example("storage-chroma-shim", &[], "bench_embedded", &args)
}

/// The venv's python with chromadb installed, creating `.cache/bench/venv` on first use.
pub(super) fn ensure_chromadb(out: &Path) -> crate::Result<PathBuf> {
    let venv = out.join("venv");
    let python = venv.join("bin").join("python");
    if !python.is_file() {
        eprintln!("bench embedded: creating {}", venv.display());
        let status = Command::new("python3").args(["-m", "venv"]).arg(&venv).status()?;
        if !status.success() {
            return Err("`python3 -m venv` failed; install python3-venv".into());
        }
    }
    let has_chromadb = Command::new(&python).args(["-c", "import chromadb"]).stderr(Stdio::null()).status()?.success();
    if !has_chromadb {
        eprintln!("bench embedded: pip install chromadb");
        let status = Command::new(&python).args(["-m", "pip", "install", "--quiet", "chromadb"]).status()?;
        if !status.success() {
            return Err("`pip install chromadb` failed".into());
        }
    }
    Ok(python)
}
