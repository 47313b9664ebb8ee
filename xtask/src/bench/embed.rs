//! `cargo xtask bench embed`: the local embedding provider beside sentence-transformers (PyTorch, CPU) on the
//! same texts and the same model files, in one run: texts/s and peak RSS of each.
//!
//! Corpora: `examples/sample.jsonl`'s 349 texts repeated, and 12,000 paragraphs of the Python standard
//! library's docstrings (real text that needs no download). sentence-transformers goes into a venv under
//! `.cache/bench/` from PyPI; its torch wheel brings CUDA packages (gigabytes), used here on the CPU only.

use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

use super::{BenchArgs, run_example};
use crate::project_root;

/// The sentence-transformers side, the corpus builder and the report, kept beside this module.
const BASELINE: &str = include_str!("embed_baseline.py");

/// The baseline's pinned version, so runs compare like with like.
const SENTENCE_TRANSFORMERS: &str = "sentence-transformers==6.3.0";

/// Both sides' batch size: sentence-transformers' default.
const BATCH: usize = 32;

/// How often the sample's texts are repeated, for a run long enough to measure.
const SAMPLE_REPEAT: usize = 10;

pub(crate) fn run(args: &BenchArgs) -> crate::Result<ExitCode> {
    let root = project_root();
    let out = root.join(".cache").join("bench").join("embed");
    std::fs::create_dir_all(&out)?;
    let model_dir = crate::model::model_dir()?;
    let script = out.join("embed_baseline.py");
    std::fs::write(&script, BASELINE)?;
    let python = ensure_sentence_transformers(&root.join(".cache").join("bench").join("embed-venv"))?;

    let sample = out.join("sample-x10.jsonl");
    let stdlib = out.join("stdlib-docstrings.jsonl");
    let sample_source = root.join("examples").join("sample.jsonl");
    run_python(&python, &script, &["sample", &path(&sample_source), &path(&sample), &SAMPLE_REPEAT.to_string()])?;
    let count = args.rows.min(12_000);
    run_python(&python, &script, &["corpus", &path(&stdlib), &count.to_string()])?;
    let corpora = [path(&sample), path(&stdlib)];

    eprintln!("bench embed: sentence-transformers (PyTorch, CPU)");
    let theirs = Command::new(&python)
        .arg(&script)
        .args(["measure", &path(&model_dir), &BATCH.to_string()])
        .args(&corpora)
        .stderr(Stdio::inherit())
        .output()?;
    if !theirs.status.success() {
        return Err(format!("the sentence-transformers baseline failed ({})", theirs.status).into());
    }
    let theirs_file = out.join("sentence-transformers.jsonl");
    std::fs::write(&theirs_file, &theirs.stdout)?;

    eprintln!("bench embed: brainstore's local provider (candle)");
    let ours_file = out.join("brainstore.jsonl");
    let mut example_args = vec![path(&ours_file), path(&model_dir), BATCH.to_string()];
    example_args.extend(corpora.iter().cloned());
    run_example("embed", &[], "bench_embed", &example_args)?;

    run_python(&python, &script, &["report", &path(&ours_file), &path(&theirs_file)])?;
    Ok(ExitCode::SUCCESS)
}

fn path(path: &Path) -> String {
    path.display().to_string()
}

fn run_python(python: &Path, script: &Path, args: &[&str]) -> crate::Result<()> {
    let status = Command::new(python).arg(script).args(args).status()?;
    if status.success() { Ok(()) } else { Err(format!("embed_baseline.py {} failed ({status})", args[0]).into()) }
}

/// The venv's python with sentence-transformers, creating the venv on first use and saying its size.
fn ensure_sentence_transformers(venv: &Path) -> crate::Result<std::path::PathBuf> {
    let python = venv.join("bin").join("python");
    if !python.is_file() {
        eprintln!("bench embed: creating {}", venv.display());
        if !Command::new("python3").args(["-m", "venv"]).arg(venv).status()?.success() {
            return Err("`python3 -m venv` failed; install python3-venv".into());
        }
    }
    let probe = Command::new(&python).args(["-c", "import sentence_transformers"]).stderr(Stdio::null()).status()?;
    if !probe.success() {
        eprintln!("bench embed: pip install {SENTENCE_TRANSFORMERS} (torch from PyPI brings CUDA packages: a few GB)");
        let status = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", SENTENCE_TRANSFORMERS])
            .status()?;
        if !status.success() {
            return Err(format!("`pip install {SENTENCE_TRANSFORMERS}` failed").into());
        }
    }
    if let Ok(output) = Command::new("du").args(["-sm"]).arg(venv).output() {
        let size = String::from_utf8_lossy(&output.stdout);
        eprintln!("bench embed: the baseline venv takes {} MB", size.split_whitespace().next().unwrap_or("?"));
    }
    Ok(python)
}
