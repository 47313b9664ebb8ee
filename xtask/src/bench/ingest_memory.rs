//! `cargo xtask bench ingest-memory`: peak RSS of `brainstore ingest` on a 1,000,000-line file, measured with `/usr/bin/time -v`.
//!
//! `ingest` promises flat memory at any input size: a reader thread holds one line and one batch, and a
//! bounded channel holds two more. This bench generates the file (deterministic chunk lines with text,
//! metadata and an 8-dimension embedding) under `.cache/bench/ingest-memory/`, builds the release binary,
//! ingests into a fresh embedded store and prints the peak resident set size against the 200 MB budget.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use crate::project_root;

/// Lines in the generated file.
pub(crate) const LINES: usize = 1_000_000;
/// The budget `ingest` must stay under.
const LIMIT_MB: f64 = 200.0;
/// Embedding length of the generated chunks: enough to exercise vector validation without making the
/// file (and the store) about vectors rather than streaming.
const DIMENSIONS: usize = 8;

/// The vocabulary of the generated texts.
const WORDS: &str =
    "agent memory vector keyword chunk store query embedding filter batch stream postgres sqlite index score fusion";

pub(crate) fn run() -> crate::Result<ExitCode> {
    let root = project_root();
    let out = root.join(".cache").join("bench").join("ingest-memory");
    std::fs::create_dir_all(&out)?;
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        return Err("bench ingest-memory needs GNU time: apt-get install time".into());
    }

    eprintln!("bench ingest-memory: building the release binary");
    let binary = release_brainstore(&root)?;

    let input = out.join(format!("ingest-{LINES}.jsonl"));
    eprintln!("bench ingest-memory: writing {LINES} lines to {}", input.display());
    let bytes = generate(&input)?;

    let data_dir = out.join("store");
    if data_dir.exists() {
        std::fs::remove_dir_all(&data_dir)?;
    }
    let store_args = ["--backend", "embedded", "--data-dir", "store"];
    // Run inside the cache folder so a brainstore.yaml or .env of the repository is not picked up.
    let init = Command::new(&binary)
        .current_dir(&out)
        .args(store_args)
        .args(["init", "--dimensions", &DIMENSIONS.to_string()])
        .output()?;
    if !init.status.success() {
        return Err(format!("brainstore init failed: {}", String::from_utf8_lossy(&init.stderr)).into());
    }

    eprintln!("bench ingest-memory: ingesting under /usr/bin/time -v");
    let ingest = Command::new(time)
        .current_dir(&out)
        .arg("-v")
        .arg(&binary)
        .args(store_args)
        .args(["--json", "ingest", &input.display().to_string()])
        .output()?;
    let stderr = String::from_utf8_lossy(&ingest.stderr);
    if !ingest.status.success() {
        return Err(format!("brainstore ingest failed:\n{stderr}").into());
    }
    let summary = String::from_utf8_lossy(&ingest.stdout);
    let peak_kb: f64 = time_field(&stderr, "Maximum resident set size (kbytes)")
        .and_then(|v| v.parse().ok())
        .ok_or("no peak RSS in /usr/bin/time's output")?;
    let wall = time_field(&stderr, "Elapsed (wall clock) time (h:mm:ss or m:ss)").unwrap_or("?");
    let peak_mb = peak_kb / 1024.0;
    println!(
        "ingest-memory: {LINES} lines ({:.0} MB, {DIMENSIONS}-d embeddings) into the embedded backend in {wall}; \
         rows/s {}; peak RSS {peak_mb:.1} MB (budget {LIMIT_MB:.0} MB)",
        bytes as f64 / 1e6,
        json_number(&summary, "rows_per_sec").map_or_else(|| "?".to_owned(), |v| format!("{v:.0}")),
    );
    if peak_mb > LIMIT_MB {
        eprintln!("bench ingest-memory: peak RSS {peak_mb:.1} MB is over the {LIMIT_MB:.0} MB budget");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the deterministic input; returns its size in bytes.
fn generate(path: &Path) -> crate::Result<u64> {
    let words: Vec<&str> = WORDS.split(' ').collect();
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        // xorshift64: deterministic, no RNG crate for a bench input.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for line in 0..LINES {
        let text: Vec<&str> = (0..14).map(|_| words[(next() % words.len() as u64) as usize]).collect();
        let embedding: Vec<String> =
            (0..DIMENSIONS).map(|_| format!("{:.4}", (next() % 2000) as f64 / 1000.0 - 0.999)).collect();
        writeln!(
            out,
            r#"{{"id":"doc-{line:07}","text":"line {line}: {}","metadata":{{"source":"bench/file-{}.md","n":{line}}},"embedding":[{}]}}"#,
            text.join(" "),
            line % 1000,
            embedding.join(",")
        )?;
    }
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

/// Builds the release `brainstore` and returns its path.
pub(super) fn release_brainstore(root: &Path) -> crate::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo).current_dir(root).args(["build", "--release", "--quiet", "-p", "cli"]).status()?;
    if !status.success() {
        return Err(format!("cargo build --release -p cli failed ({status})").into());
    }
    let target_dir = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    Ok(target_dir.join("release").join("brainstore"))
}

/// The value after `name:` in `/usr/bin/time -v` output.
pub(super) fn time_field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.lines().find_map(|line| line.trim().strip_prefix(name)?.trim().strip_prefix(':').map(str::trim))
}

/// A number field of a one-line JSON object, without a JSON parser in xtask.
pub(super) fn json_number(text: &str, key: &str) -> Option<f64> {
    let rest = text.split(&format!("\"{key}\":")).nth(1)?;
    rest.split([',', '}']).next()?.trim().parse().ok()
}
