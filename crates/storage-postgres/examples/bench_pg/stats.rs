//! Percentiles, `pgbench` per-transaction logs, and the side-by-side table.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::e2e::{EndToEnd, median};
use super::memories::{RecallFigures, USERS};
use super::{Result, SCHEMA, read_env};

/// Latency percentiles in milliseconds.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Latency {
    pub(crate) p50: f64,
    pub(crate) p95: f64,
    pub(crate) samples: usize,
}

impl Latency {
    pub(crate) fn of(mut millis: Vec<f64>) -> Latency {
        millis.sort_by(f64::total_cmp);
        let at = |q: f64| {
            if millis.is_empty() {
                return f64::NAN;
            }
            let idx = ((millis.len() as f64 - 1.0) * q).round() as usize;
            millis[idx.min(millis.len() - 1)]
        };
        Latency { p50: at(0.50), p95: at(0.95), samples: millis.len() }
    }
}

/// The session settings of brainstore's pooled connections, given to every raw-SQL client.
pub(crate) fn session_settings() -> [(&'static str, String); 3] {
    // brainstore's connections put its schema first in `search_path`; its statements name their tables
    // unqualified, so a raw-SQL session needs the same path.
    [
        ("search_path", format!("{SCHEMA},public")),
        ("hnsw.ef_search", "100".to_owned()),
        ("hnsw.iterative_scan", "strict_order".to_owned()),
    ]
}

/// Runs the raw-SQL scripts through `pgbench -M prepared`, one client, with the session settings
/// brainstore's pool gives every connection.
pub(crate) struct Pgbench {
    binary: PathBuf,
    out: PathBuf,
    url: String,
}

impl Pgbench {
    pub(crate) fn new(out: &Path, url: &str) -> Result<Pgbench> {
        let plan = read_env(&out.join("plan.env"))?;
        let bindir = plan.get("bindir").ok_or("plan.env names no bindir")?;
        for entry in std::fs::read_dir(out)? {
            let path = entry?.path();
            if path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("log_")) {
                std::fs::remove_file(path)?;
            }
        }
        Ok(Pgbench { binary: Path::new(bindir).join("pgbench"), out: out.to_owned(), url: url.to_owned() })
    }

    /// `transactions` runs of `mode`'s script: logged as round `round`, or a warm-up when `None`.
    pub(crate) fn run(&self, mode: &str, round: Option<usize>, transactions: usize) -> Result<()> {
        let mut command = Command::new(&self.binary);
        command
            .env(
                "PGOPTIONS",
                session_settings().iter().map(|(key, value)| format!("-c {key}={value} ")).collect::<String>(),
            )
            .args(["-n", "-M", "prepared", "-c", "1", "-j", "1", "-t"])
            .arg(transactions.to_string());
        if let Some(round) = round {
            command.arg("-l").arg(format!("--log-prefix={}", self.out.join(format!("log_{mode}_r{round}")).display()));
        }
        let output = command.arg("-f").arg(self.out.join(format!("pgbench_{mode}.sql"))).arg(&self.url).output()?;
        if !output.status.success() {
            return Err(format!("pgbench {mode} failed: {}", String::from_utf8_lossy(&output.stderr)).into());
        }
        Ok(())
    }

    /// Latencies of every logged round of `mode`.
    pub(crate) fn latency(&self, mode: &str) -> Result<Latency> {
        pgbench_latency(&self.out, mode)
    }
}

/// Latencies from `pgbench -l` logs `<out>/log_<mode>_r<round>.<pid>`: the third field is the latency in µs.
fn pgbench_latency(out: &Path, mode: &str) -> Result<Latency> {
    let prefix = format!("log_{mode}_r");
    let mut millis = Vec::new();
    for entry in std::fs::read_dir(out)? {
        let path = entry?.path();
        if path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(&prefix)) {
            for line in std::fs::read_to_string(&path)?.lines() {
                if let Some(micros) = line.split_whitespace().nth(2).and_then(|f| f.parse::<f64>().ok()) {
                    millis.push(micros / 1000.0);
                }
            }
        }
    }
    if millis.is_empty() {
        return Err(format!("no pgbench log for {mode} in {}", out.display()).into());
    }
    Ok(Latency::of(millis))
}

pub(crate) fn number(env: &std::collections::HashMap<String, String>, key: &str) -> Result<f64> {
    Ok(env.get(key).ok_or_else(|| format!("{key} missing"))?.parse::<f64>()?)
}

/// Prints the table on stdout.
pub(crate) fn print_report(
    out: &Path,
    rows: usize,
    measured: &[(&str, Latency)],
    recalls: &[(&str, f64)],
    mrr: &[(&str, f64)],
    end_to_end: &[EndToEnd],
) -> Result<()> {
    let plan = read_env(&out.join("plan.env"))?;
    let ingest = read_env(&out.join("ingest.env"))?;
    let copy = read_env(&out.join("copy.env"))?;
    let rows_f = rows as f64;
    let ours = number(&ingest, "rows")? / number(&ingest, "seconds")?;
    let indexed = rows_f / number(&copy, "indexed_seconds")?;
    let deferred = rows_f / number(&copy, "deferred_seconds")?;
    println!(
        "\nbrainstore bench pg: {rows} chunks x {}-d, PostgreSQL {} / pgvector {}, one client\n",
        plan.get("dimensions").map_or("?", String::as_str),
        plan.get("server").map_or("?", String::as_str),
        plan.get("pgvector").map_or("?", String::as_str),
    );
    print_header("");
    // brainstore's load builds the index after the last batch, as the deferred script does: that is the
    // like-for-like baseline. Copying into a table whose index is live is shown for scale.
    print_rate("ingest rows/s (\\copy, index after)", ours, deferred, ">= 0.5x");
    print_rate("ingest rows/s (\\copy, live index)", ours, indexed, "");
    for (mode, latency) in measured {
        print_latency(mode, latency, &pgbench_latency(out, mode)?);
    }
    let plain = pgbench_latency(out, "vector")?;
    let wrapped = pgbench_latency(out, "vector_set_local")?;
    println!(
        "{:<34} {:>16} {:>7.2} / {:>6.2} {:>7.2}x",
        "vector in BEGIN/SET LOCAL/COMMIT",
        "(pgbench)",
        wrapped.p50,
        wrapped.p95,
        wrapped.p50 / plain.p50
    );
    for (mode, recall) in recalls {
        println!("{:<34} {:>16.3}", format!("{mode} recall@10"), recall);
    }
    for (mode, mrr) in mrr {
        println!("{:<34} {:>16.3}", format!("{mode} MRR@10 (own cluster)"), mrr);
    }
    let samples = measured.first().map_or(0, |(_, l)| l.samples);
    println!(
        "\n({samples} timed queries per mode on each side, in rounds alternating between the two; pgbench -M \
         prepared runs the statements brainstore sends, parameters read from a table of the values it binds, \
         with the session settings brainstore's pool uses)"
    );
    if !end_to_end.is_empty() {
        println!(
            "\n{:<34} {:>16} {:>16} {:>8} {:>9}",
            "end to end, ms per query", "brainstore", "pgbench", "ratio", "target"
        );
        for figure in end_to_end {
            let (ours, theirs) = (median(&figure.brainstore_ms), median(&figure.pgbench_ms));
            let rounds = |values: &[f64]| values.iter().map(|v| format!("{v:.2}")).collect::<Vec<_>>().join(" ");
            println!(
                "{:<34} {:>16.3} {:>16.3} {:>7.2}x {:>9}   rounds: {} | {}; pgbench in-run p50 {:.3}",
                format!("{} ({} queries)", figure.mode, figure.queries),
                ours,
                theirs,
                ours / theirs,
                "<= 1.3x",
                rounds(&figure.brainstore_ms),
                rounds(&figure.pgbench_ms),
                figure.pgbench_latency.map_or(f64::NAN, |l| l.p50),
            );
        }
        println!(
            "(whole process divided by its queries, median of the rounds: `brainstore search --queries` writing JSON \
             lines to a file, beside `pgbench -t N` of the same statements; right after the bulk load)"
        );
    }
    Ok(())
}

fn print_header(title: &str) {
    println!("{title:<34} {:>16} {:>16} {:>8} {:>9}", "brainstore", "raw SQL", "ratio", "target");
}

fn print_rate(label: &str, ours: f64, raw: f64, target: &str) {
    println!("{label:<34} {ours:>16.0} {raw:>16.0} {:>7.2}x {target:>9}", ours / raw);
}

fn print_latency(mode: &str, ours: &Latency, raw: &Latency) {
    println!(
        "{:<34} {:>7.2} / {:>6.2} {:>7.2} / {:>6.2} {:>7.2}x {:>9}",
        format!("{mode} p50 / p95 ms"),
        ours.p50,
        ours.p95,
        raw.p50,
        raw.p95,
        ours.p50 / raw.p50,
        "<= 1.3x"
    );
}

/// Prints the memory part's table on stdout.
pub(crate) fn print_memory_report(out: &Path, figures: &[RecallFigures]) -> Result<()> {
    let ours = read_env(&out.join("memories.env"))?;
    let copy = read_env(&out.join("memory_copy.env"))?;
    let rows = number(&ours, "rows")?;
    println!(
        "\nbrainstore bench pg, memories: {rows} memories of {USERS} users of one tenant, one client \
         ({} merged by dedup)\n",
        number(&ours, "merged")?
    );
    print_header("");
    print_rate("remember memories/s (\\copy)", rows / number(&ours, "seconds")?, rows / number(&copy, "seconds")?, "");
    for figure in figures {
        print_latency(figure.mode, &figure.brainstore, &figure.raw);
    }
    for figure in figures {
        if let Some((ours, raw)) = figure.recall {
            println!("{:<34} {ours:>16.3} {raw:>16.3}", format!("{} recall@10", figure.mode));
        }
    }
    let samples = figures.first().map_or(0, |f| f.brainstore.samples);
    println!(
        "\n(remember: one call per memory, default dedup check and audit entry, beside `psql \\copy` of the same \
         rows into a table with the same indexes; recall: {samples} timed calls per mode on each side, in rounds \
         alternating between the two; pgbench -M prepared runs the statements recall sends, space read, \
         candidates and access bump, with the parameters it bound; raw recall@10 takes the candidates' 10 \
         nearest)"
    );
    Ok(())
}
