//! `cargo xtask bench embed`: the local embedding provider beside sentence-transformers (PyTorch, CPU) on the
//! same texts and the same model files, in one run: texts/s and peak RSS of each.
//!
//! Corpora: `examples/sample.jsonl`'s 349 texts repeated, and 12,000 paragraphs of the Python standard
//! library's docstrings (real text that needs no download). sentence-transformers goes into a venv under
//! `.cache/bench/` from PyPI; its torch wheel brings CUDA packages (gigabytes), used here on the CPU only.
//!
//! Then the whole command: `brainstore ingest` of the docstring corpus as text-only chunks into a fresh
//! embedded store (embedding pipelined with the writes), its rows/s and peak RSS.

use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

use super::ingest_memory::{json_number, release_brainstore, time_field};
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
    end_to_end_ingest(&root, &out, &stdlib, &model_dir)?;
    Ok(ExitCode::SUCCESS)
}

/// The whole `brainstore ingest` command on the docstring corpus as text-only chunks (`{"id","text"}`
/// lines) into a fresh embedded store whose space names the local model: reading, embedding and writing,
/// model load included, under `/usr/bin/time -v` for the peak RSS.
fn end_to_end_ingest(root: &Path, out: &Path, corpus: &Path, model_dir: &Path) -> crate::Result<()> {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        return Err("bench embed needs GNU time for the end-to-end ingest: apt-get install time".into());
    }
    eprintln!("bench embed: building brainstore (release) for the end-to-end text-only ingest");
    let binary = release_brainstore(root)?;
    let data_dir = out.join("store");
    if data_dir.exists() {
        std::fs::remove_dir_all(&data_dir)?;
    }
    let brainstore = |program: &Path| {
        let mut command = Command::new(program);
        // Inside the cache folder, so a brainstore.yaml or .env of the repository is not picked up.
        command
            .current_dir(out)
            .env("BRAINSTORE__EMBEDDING__MODEL_PATH", model_dir)
            .env("HF_HUB_OFFLINE", "1")
            .stdin(Stdio::null());
        command
    };
    let store_args = ["--backend", "embedded", "--data-dir", "store"];
    let init = brainstore(&binary)
        .args(store_args)
        .args(["init", "--provider", "local", "--model", "all-MiniLM-L6-v2"])
        .output()?;
    if !init.status.success() {
        return Err(format!("brainstore init failed: {}", String::from_utf8_lossy(&init.stderr)).into());
    }
    eprintln!("bench embed: brainstore ingest of {} (text only) under /usr/bin/time -v", corpus.display());
    let ingest =
        brainstore(time).arg("-v").arg(&binary).args(store_args).args(["--json", "ingest", &path(corpus)]).output()?;
    let stderr = String::from_utf8_lossy(&ingest.stderr);
    if !ingest.status.success() {
        return Err(format!("brainstore ingest failed:\n{stderr}").into());
    }
    let summary = String::from_utf8_lossy(&ingest.stdout);
    let number = |key: &str| json_number(&summary, key).map_or_else(|| "?".to_owned(), |v| format!("{v:.0}"));
    let peak_mb = time_field(&stderr, "Maximum resident set size (kbytes)")
        .and_then(|v| v.parse::<f64>().ok())
        .map_or_else(|| "?".to_owned(), |kb| format!("{:.0}", kb / 1024.0));
    let wall = time_field(&stderr, "Elapsed (wall clock) time (h:mm:ss or m:ss)").unwrap_or("?");
    println!(
        "end to end: `brainstore ingest` of {} text-only chunks into the embedded store (embedded while \
         written): {} rows/s, wall {wall} (model load included), peak RSS {peak_mb} MB",
        number("ingested"),
        number("rows_per_sec"),
    );
    Ok(())
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
