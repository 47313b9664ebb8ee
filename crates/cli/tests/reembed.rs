//! `brainstore reembed` on the real binary and the real all-MiniLM-L6-v2 files (`BRAINSTORE_TEST_MODEL_DIR`,
//! installed by `cargo xtask test`): a run killed half-way with SIGKILL, then run again, ends with every row
//! of `examples/sample.jsonl` in the new space, counted exactly, while searches from other processes are
//! answered throughout. Both backends.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::{Backend, Store, chunk_line};
use serde_json::{Value, json};

const MODEL_DIR_VARIABLE: &str = "BRAINSTORE_TEST_MODEL_DIR";

/// Dimensions of the old space: a hash of the text, so the old vectors owe nothing to the model.
const OLD_DIMENSIONS: usize = 16;

fn model_dir() -> PathBuf {
    let dir = std::env::var_os(MODEL_DIR_VARIABLE).unwrap_or_else(|| {
        panic!(
            "{MODEL_DIR_VARIABLE} is not set: run the tests with `cargo xtask test`, or set it to the folder \
             `cargo xtask model path` prints"
        )
    });
    PathBuf::from(dir)
}

/// `(id, text)` of every row of the shipped sample.
fn sample() -> Vec<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/sample.jsonl");
    let text = std::fs::read_to_string(path).expect("examples/sample.jsonl");
    text.lines()
        .map(|line| {
            let row: Value = serde_json::from_str(line).expect("a JSON line");
            (row["id"].as_str().expect("an id").to_owned(), row["text"].as_str().expect("a text").to_owned())
        })
        .collect()
}

/// The old space's vector of a text: byte sums folded into 16 positive values.
fn old_vector(text: &str) -> Vec<f32> {
    let mut values = vec![1.0f32; OLD_DIMENSIONS];
    for (index, byte) in text.bytes().enumerate() {
        values[index % OLD_DIMENSIONS] += f32::from(byte) / 256.0;
    }
    values
}

/// The new space's vector of `text`, from the same model files the binary loads.
fn new_vector(text: &str) -> Vec<f32> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let config = embed::EmbeddingConfig {
            model_path: Some(model_dir()),
            ..embed::EmbeddingConfig::new("local", embed::DEFAULT_LOCAL_MODEL)
        };
        let embedder = embed::connect(&config).await.expect("the local model loads");
        embedder.embed(&[text]).await.expect("the text embeds").remove(0).into_vec()
    })
}

/// Runs vector searches (`memories`: memory recalls) from other processes until told to stop: each must
/// answer, in the old space until the switch and in the new one after it. Returns how many were answered
/// in each.
fn searcher(store: Arc<Store>, memories: bool, queries: (PathBuf, PathBuf), stop: Arc<AtomicBool>) -> (u32, u32) {
    let (old_query, new_query) = queries;
    let (mut old, mut new) = (0, 0);
    let mut switched = false;
    while !stop.load(Ordering::Acquire) {
        let query = if switched { &new_query } else { &old_query };
        let query = format!("@{}", query.display());
        let outcome = if memories {
            store.run(&["--json", "memory", "recall", "--embedding", &query, "--limit", "3"])
        } else {
            store.run(&["--json", "search", "--embedding", &query, "--top-k", "3"])
        };
        if !switched && outcome.code == 3 && outcome.stderr.contains("dimension") {
            // The reembed switched since the last search: from now on the new space answers.
            switched = true;
            continue;
        }
        outcome.ok();
        let hits = outcome.json()[if memories { "hits" } else { "results" }].as_array().map_or(0, Vec::len);
        assert_eq!(hits, 3, "a search answered without its hits: {}", outcome.stdout);
        if switched { new += 1 } else { old += 1 }
    }
    (old, new)
}

fn reembed_args(model: &str) -> Vec<String> {
    ["reembed", "--provider", "local", "--model", "all-MiniLM-L6-v2", "--model-path", model, "--batch-size", "8"]
        .map(str::to_owned)
        .to_vec()
}

/// Runs `reembed` with `args` and SIGKILLs it once its progress lines say a quarter of the `total` rows
/// are staged; returns how many were.
fn run_and_kill_half_way(store: &Store, args: &[String], total: u64) -> u64 {
    let mut first = store.command(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let mut first = first.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("run brainstore reembed");
    let stderr = BufReader::new(first.stderr.take().expect("stderr is piped"));
    let started = Instant::now();
    let mut staged_before_kill = 0;
    for line in stderr.lines() {
        let line = line.expect("a stderr line");
        if let Some((done, of)) = progress_of(&line) {
            assert_eq!(of, total, "progress counts every row: {line}");
            if done >= total / 4 {
                staged_before_kill = done;
                break;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(600), "no progress in 10 minutes");
    }
    first.kill().expect("SIGKILL the first run");
    first.wait().expect("reap the first run");
    assert!(staged_before_kill > 0 && staged_before_kill < total, "killed half-way: {staged_before_kill}/{total}");
    staged_before_kill
}

/// `done/total` of a progress line, `brainstore: re-embedding into …: 40/349 rows, 12 rows/s`.
fn progress_of(line: &str) -> Option<(u64, u64)> {
    let counts = line.split(": ").last()?.split(' ').next()?;
    let (done, total) = counts.split_once('/')?;
    Some((done.parse().ok()?, total.parse().ok()?))
}

fn killed_half_way_then_rerun_ends_in_the_new_space(backend: Backend, test: &str) {
    let model = model_dir();
    let model = model.to_str().expect("a UTF-8 model path");
    let rows = sample();
    let total = rows.len() as u64;
    let store = Arc::new(Store::new(backend, test));
    store.init(OLD_DIMENSIONS as u32);
    let lines: Vec<String> =
        rows.iter().map(|(id, text)| chunk_line(id, text, json!({}), Some(&old_vector(text)))).collect();
    store.ingest(&lines.join("\n"));
    let (probe_id, probe_text) = &rows[rows.len() / 3];
    let old_query = store.write("old.json", &json!(old_vector(probe_text)).to_string());
    let new_query = store.write("new.json", &json!(new_vector(probe_text)).to_string());

    let stop = Arc::new(AtomicBool::new(false));
    let searches = {
        let (store, stop) = (Arc::clone(&store), Arc::clone(&stop));
        let (old_query, new_query) = (old_query.clone(), new_query.clone());
        thread::spawn(move || searcher(store, false, (old_query, new_query), stop))
    };

    // The first run, killed once it has staged part of the rows.
    let staged_before_kill = run_and_kill_half_way(&store, &reembed_args(model), total);
    let status = store.json(&["status"]);
    assert_eq!(status["embedding"]["dimensions"], json!(OLD_DIMENSIONS), "the old space stays until the switch");
    assert_eq!(status["count"], json!(total), "no row lost: {status}");

    // The second run resumes: it embeds only the rows the first one had not staged.
    let second = reembed_args(model);
    let summary = store.json(&second.iter().map(String::as_str).collect::<Vec<_>>());
    stop.store(true, Ordering::Release);
    let (old_answers, _new_answers) = searches.join().expect("the searcher finished");
    let resumed = summary["resumed"].as_u64().expect("resumed");
    let embedded = summary["embedded"].as_u64().expect("embedded");
    assert!(resumed >= staged_before_kill, "the staged rows survived the kill: {summary}");
    assert_eq!(resumed + embedded, total, "each row embedded exactly once across both runs: {summary}");
    assert_eq!(summary["total"], json!(total), "{summary}");
    assert_eq!(summary["space"]["dimensions"], json!(384), "{summary}");
    assert!(old_answers > 0, "searches were answered in the old space while the reembed ran");

    let status = store.json(&["status"]);
    assert_eq!(status["embedding"]["model"], json!("all-MiniLM-L6-v2"), "{status}");
    assert_eq!(status["embedding"]["dimensions"], json!(384), "{status}");
    assert_eq!((status["count"].as_u64(), status["embedded_count"].as_u64()), (Some(total), Some(total)), "{status}");
    let new_query = format!("@{}", new_query.display());
    let hits = store.json(&["search", "--embedding", &new_query, "--top-k", "1"]);
    assert_eq!(hits["results"][0]["id"], json!(probe_id), "the new space finds the probe's own text: {hits}");
    let old_query = format!("@{}", old_query.display());
    store.run(&["search", "--embedding", &old_query]).code(3).stderr_has("dimension");
}

#[test]
fn reembed_killed_half_way_resumes_on_the_embedded_backend() {
    killed_half_way_then_rerun_ends_in_the_new_space(Backend::Embedded, "reembed_kill");
}

#[test]
fn reembed_killed_half_way_resumes_on_postgres() {
    killed_half_way_then_rerun_ends_in_the_new_space(Backend::Postgres, "reembed_kill");
}

#[test]
fn reembed_flags_are_checked_before_the_store_opens() {
    let store = Store::embedded("reembed_flags");
    store.run(&["reembed", "--provider", "nonsense", "--model", "m"]).code(2).stderr_has("nonsense").no_stdout();
    store
        .run(&["reembed", "--provider", "local", "--model", "m", "--batch-size", "0"])
        .code(2)
        .stderr_has("--batch-size");
    store.run(&["reembed", "--model", "m"]).code(2).stderr_has("--provider").stderr_has("embedding.provider");
    store.run(&["reembed"]).code(2).stderr_has("--provider").stderr_has("embedding.provider").no_stdout();
    store.run(&["reembed", "--provider", "local"]).code(2).stderr_has("--model").stderr_has("embedding.model");
    // Nothing staged: abandoning finds nothing, and says so.
    store.init(3);
    let abandoned = store.json(&["reembed", "--abandon"]);
    assert_eq!(abandoned["abandoned"], json!(false), "{abandoned}");
}

/// Without flags, `reembed` takes the new space from the configuration's `embedding:` section (here its
/// environment layer), as `ingest` and `search` do; a flag naming another provider takes none of the
/// section's provider-specific values, and the error says which value is missing.
#[test]
fn reembed_falls_back_to_the_configured_embedding_section() {
    let model = model_dir();
    let mut store = Store::embedded("reembed_config");
    store.init(OLD_DIMENSIONS as u32);
    let rows: Vec<(String, String)> = sample().into_iter().take(5).collect();
    let lines: Vec<String> =
        rows.iter().map(|(id, text)| chunk_line(id, text, json!({}), Some(&old_vector(text)))).collect();
    store.ingest(&lines.join("\n"));
    store.set_env("BRAINSTORE__EMBEDDING__PROVIDER", "local");
    store.set_env("BRAINSTORE__EMBEDDING__MODEL", "all-MiniLM-L6-v2");

    store
        .run(&["reembed", "--provider", "openai"])
        .code(2)
        .stderr_has("--model")
        .stderr_has("for provider local, not openai")
        .no_stdout();

    store.set_env("BRAINSTORE__EMBEDDING__MODEL_PATH", model.to_str().expect("a UTF-8 model path"));
    let summary = store.json(&["reembed"]);
    assert_eq!(summary["space"]["provider"], json!("local"), "{summary}");
    assert_eq!(summary["space"]["model"], json!("all-MiniLM-L6-v2"), "{summary}");
    assert_eq!(summary["space"]["dimensions"], json!(384), "{summary}");
    assert_eq!(summary["embedded"], json!(rows.len()), "{summary}");
    let status = store.json(&["status"]);
    assert_eq!(status["embedding"]["dimensions"], json!(384), "{status}");
    assert_eq!(status["embedded_count"], json!(rows.len()), "{status}");
}

/// The memory space, as the collection above: every memory of the sample (in two tenants) re-embedded by a
/// run killed half-way and a second run, counted exactly, recalled throughout.
fn memories_killed_half_way_then_rerun_end_in_the_new_space(backend: Backend, test: &str) {
    let model = model_dir();
    let model = model.to_str().expect("a UTF-8 model path");
    let rows = sample();
    let total = rows.len() as u64;
    let store = Arc::new(Store::new(backend, test));
    store.run(&["init"]).ok();
    store.run(&["memory", "space", "set", "--dimensions", &OLD_DIMENSIONS.to_string()]).ok();
    for tenant in ["default", "acme"] {
        let lines: Vec<String> = rows
            .iter()
            .enumerate()
            .filter(|(index, _)| (index % 2 == 0) == (tenant == "default"))
            .map(|(_, (_, text))| {
                json!({"content": text, "embedding": old_vector(text), "embedding_model": "old-hash"}).to_string()
            })
            .collect();
        let path = store.write(&format!("{tenant}.jsonl"), &lines.join("\n"));
        let path = path.to_str().expect("a UTF-8 path");
        store.run(&["memory", "remember", "--from-json", path, "--no-dedup", "--tenant", tenant]).ok();
    }
    let (_, probe_text) = &rows[rows.len() / 3 * 2];
    let old_query = store.write("old.json", &json!(old_vector(probe_text)).to_string());
    let new_query = store.write("new.json", &json!(new_vector(probe_text)).to_string());

    let stop = Arc::new(AtomicBool::new(false));
    let recalls = {
        let (store, stop) = (Arc::clone(&store), Arc::clone(&stop));
        let queries = (old_query.clone(), new_query.clone());
        thread::spawn(move || searcher(store, true, queries, stop))
    };
    let mut args = reembed_args(model);
    args.push("--memories".to_owned());
    let staged_before_kill = run_and_kill_half_way(&store, &args, total);
    let space = store.json(&["memory", "space", "show"]);
    assert_eq!(space["embedding_space"]["dimensions"], json!(OLD_DIMENSIONS), "the old space stays: {space}");

    let summary = store.json(&args.iter().map(String::as_str).collect::<Vec<_>>());
    stop.store(true, Ordering::Release);
    let (old_answers, _new_answers) = recalls.join().expect("the recaller finished");
    let resumed = summary["resumed"].as_u64().expect("resumed");
    let embedded = summary["embedded"].as_u64().expect("embedded");
    assert!(resumed >= staged_before_kill, "the staged memories survived the kill: {summary}");
    assert_eq!(resumed + embedded, total, "each memory embedded exactly once across both runs: {summary}");
    assert_eq!(summary["total"], json!(total), "{summary}");
    assert_eq!(summary.get("collection"), None, "{summary}");
    assert!(old_answers > 0, "recall was answered in the old space while the reembed ran");

    let space = store.json(&["memory", "space", "show"]);
    assert_eq!(space["embedding_space"]["model"], json!("all-MiniLM-L6-v2"), "{space}");
    assert_eq!(space["embedding_space"]["dimensions"], json!(384), "{space}");
    let mut listed = 0;
    for tenant in ["default", "acme"] {
        let list = store.json(&["memory", "list", "--limit", "1000", "--tenant", tenant]);
        let memories = list["memories"].as_array().expect("memories");
        listed += memories.len() as u64;
        for memory in memories {
            assert_eq!(memory["embedding_model"], json!("all-MiniLM-L6-v2"), "{memory}");
            assert_eq!(memory["stale"], json!(false), "{memory}");
        }
    }
    assert_eq!(listed, total, "no memory lost");
    let new_query = format!("@{}", new_query.display());
    let tenant = if (rows.len() / 3 * 2).is_multiple_of(2) { "default" } else { "acme" };
    let hits = store.json(&["memory", "recall", "--embedding", &new_query, "--limit", "1", "--tenant", tenant]);
    assert_eq!(hits["hits"][0]["memory"]["content"], json!(probe_text), "the new space finds the probe: {hits}");
    let old_query = format!("@{}", old_query.display());
    store.run(&["memory", "recall", "--embedding", &old_query]).code(3).stderr_has("dimension");
}

#[test]
fn reembed_memories_killed_half_way_resumes_on_the_embedded_backend() {
    memories_killed_half_way_then_rerun_end_in_the_new_space(Backend::Embedded, "reembed_memories_kill");
}

#[test]
fn reembed_memories_killed_half_way_resumes_on_postgres() {
    memories_killed_half_way_then_rerun_end_in_the_new_space(Backend::Postgres, "reembed_memories_kill");
}
