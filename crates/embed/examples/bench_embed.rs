//! The brainstore side of `cargo xtask bench embed`: the local provider's throughput on files of
//! `{"id","text"}` lines, with the process's peak resident set size.
//!
//! `cargo run --release -p embed --example bench_embed -- OUT.jsonl MODEL_DIR BATCH FILE.jsonl...`; writes
//! one JSON line per file to OUT.jsonl (the same fields as `embed_baseline.py measure`).
// A benchmark binary reports on its terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::time::Instant;

use embed::{EmbeddingConfig, LocalEmbedder};

type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn main() -> BoxResult<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: bench_embed OUT.jsonl MODEL_DIR BATCH FILE.jsonl...";
    let out = PathBuf::from(args.next().ok_or(usage)?);
    let mut report = String::new();
    let model_dir = PathBuf::from(args.next().ok_or(usage)?);
    let batch: usize = args.next().ok_or(usage)?.parse()?;
    let files: Vec<String> = args.collect();

    let started = Instant::now();
    let config = EmbeddingConfig { batch_size: Some(batch), ..EmbeddingConfig::local_default() };
    let embedder = LocalEmbedder::load_folder(&config, &model_dir)?;
    let load_seconds = started.elapsed().as_secs_f64();
    embedder.embed_blocking(&["warm up the model once"])?;
    for file in files {
        let texts: Vec<String> = std::fs::read_to_string(&file)?
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                let value: serde_json::Value = serde_json::from_str(line)?;
                Ok(value["text"].as_str().unwrap_or_default().to_owned())
            })
            .collect::<BoxResult<_>>()?;
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let tokens: usize = embedder.token_counts(&texts)?.iter().sum();
        let started = Instant::now();
        let vectors = embedder.embed_blocking(&texts)?;
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(vectors.len(), texts.len());
        let line = serde_json::json!({
            "file": file,
            "texts": texts.len(),
            "tokens": tokens,
            "seconds": seconds,
            "texts_per_sec": texts.len() as f64 / seconds,
            "peak_rss_mb": peak_rss_mb()?,
            "load_seconds": load_seconds,
            "threads": std::thread::available_parallelism().map_or(1, usize::from),
        });
        eprintln!("{line}");
        report.push_str(&format!("{line}\n"));
    }
    std::fs::write(out, report)?;
    Ok(())
}

/// `VmHWM` of `/proc/self/status`: the most resident memory this process has had.
fn peak_rss_mb() -> BoxResult<f64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .ok_or("no VmHWM line in /proc/self/status")?;
    Ok(kib / 1024.0)
}
