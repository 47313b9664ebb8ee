//! Text in, vectors out through the command line, on the real all-MiniLM-L6-v2 (`BRAINSTORE_TEST_MODEL_DIR`,
//! installed by `cargo xtask test`): `init --provider local` learns the dimensions, text-only chunks are
//! embedded while they are ingested, vector and hybrid search and memory remember / recall / dedup take
//! text alone, on the embedded backend and PostgreSQL 18 and 16. `brainstore embed` prints the same vectors
//! the store holds, and a collection without a provider refuses a search by text naming the remedy.

mod common;

use common::{Backend, Store};
use serde_json::Value;

const MODEL_DIR_VARIABLE: &str = "BRAINSTORE_TEST_MODEL_DIR";

/// The model folder; a missing one fails the test, naming the command that provides it.
fn model_dir() -> String {
    std::env::var(MODEL_DIR_VARIABLE).unwrap_or_else(|_| {
        panic!(
            "{MODEL_DIR_VARIABLE} is not set: run the tests with `cargo xtask test`, or set it to the folder \
             `cargo xtask model path` prints"
        )
    })
}

/// A store whose `embedding.model_path` is the test model, and no other way to find a model (no Hub).
fn text_store(backend: Backend, test: &str) -> Store {
    let mut store = Store::new(backend, test);
    store.set_env("BRAINSTORE__EMBEDDING__MODEL_PATH", &model_dir());
    store.set_env("HF_HUB_OFFLINE", "1");
    store.set_env("HF_HOME", store.path("no-hub-cache").to_str().expect("utf-8 path"));
    store
}

/// Three chunks on unrelated subjects, none with a vector.
const CHUNKS: &[(&str, &str)] = &[
    ("cat", "The cat slept all afternoon on the warm windowsill, purring softly."),
    ("db", "PostgreSQL keeps table rows in heap pages and finds them quickly through B-tree indexes."),
    ("bread", "Bake the loaf at 220 degrees until the crust turns golden brown."),
];

fn text_lines() -> String {
    CHUNKS.iter().map(|(id, text)| serde_json::json!({"id": id, "text": text}).to_string() + "\n").collect()
}

fn top_hit(results: &Value) -> &str {
    results["results"][0]["id"].as_str().unwrap_or_else(|| panic!("no hits in {results}"))
}

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (norm(a) * norm(b))
}

fn floats(value: &Value) -> Vec<f64> {
    value.as_array().unwrap_or_else(|| panic!("not an array: {value}")).iter().filter_map(Value::as_f64).collect()
}

/// The whole round trip on one store.
fn round_trip(store: &Store) {
    let init = store.json(&["init", "--provider", "local", "--model", "all-MiniLM-L6-v2"]);
    assert_eq!(init["embedding"]["dimensions"], 384, "{init}");
    assert_eq!(init["embedding"]["provider"], "local", "{init}");

    let report = store.ingest(&text_lines());
    assert_eq!(report["ingested"], 3, "{report}");

    let by_meaning = store.json(&["search", "--mode", "vector", "a kitten napping in the sun"]);
    assert_eq!(top_hit(&by_meaning), "cat", "{by_meaning}");
    let hybrid = store.json(&["search", "--mode", "hybrid", "database index pages"]);
    assert_eq!(top_hit(&hybrid), "db", "{hybrid}");
    let queries =
        store.write("queries.jsonl", "{\"id\":\"q1\",\"text\":\"baking bread in an oven\",\"mode\":\"vector\"}\n");
    let batch = store.run(&["search", "--queries", queries.to_str().expect("utf-8 path")]);
    batch.ok();
    assert_eq!(top_hit(&batch.json_lines()[0]), "bread", "{}", batch.stdout);

    // The stored vector is the one `brainstore embed` prints for the same text.
    let stored = store.json(&["get", "cat"]);
    let printed = store.json(&["embed", CHUNKS[0].1]);
    assert_eq!(printed["dimensions"], 384, "{printed}");
    let similarity = cosine(&floats(&stored["embedding"]), &floats(&printed["embedding"]));
    assert!(similarity > 0.9999, "stored and printed vectors differ: cosine {similarity}");

    // A caller's vector still wins, and is still checked against the space.
    let wrong = store.write("wrong.jsonl", "{\"id\":\"w\",\"text\":\"x\",\"embedding\":[1,0,0]}\n");
    let refused = store.run(&["ingest", wrong.to_str().expect("utf-8 path")]);
    refused.stderr_has("line 1").stderr_has("the store has 384 dimensions, 3 were given");
    assert_ne!(refused.code, 0);

    // Memory: the space learns its dimensions; remember, recall and dedup by text.
    let space = store.json(&["memory", "space", "set", "--provider", "local", "--model", "all-MiniLM-L6-v2"]);
    assert_eq!(space["embedding_space"]["dimensions"], 384, "{space}");
    let first = store.json(&["memory", "remember", "The user prefers dark mode in every editor."]);
    assert_eq!(first["action"], "created", "{first}");
    assert!(first["memory"]["embedding_model"].as_str().is_some(), "{first}");
    store.json(&["memory", "remember", "The deployment runs every Friday at noon."]);
    let again = store.json(&["memory", "remember", "The user prefers dark mode in all editors."]);
    assert_eq!(again["action"], "deduplicated", "{again}");
    let recalled = store.json(&["memory", "recall", "which colour theme does the user like?"]);
    let best = recalled["hits"][0]["memory"]["content"].as_str().unwrap_or_default();
    assert!(best.contains("dark mode"), "{recalled}");
    assert!(recalled["hits"][0]["semantic"].as_f64().unwrap_or_default() > 0.3, "{recalled}");
}

#[test]
fn text_only_round_trip_on_the_embedded_backend() {
    round_trip(&text_store(Backend::Embedded, "text_only_round_trip"));
}

#[test]
fn text_only_round_trip_on_postgresql_18() {
    round_trip(&text_store(Backend::Postgres, "text_only_round_trip"));
}

#[test]
fn text_only_round_trip_on_postgresql_16() {
    let mut store = text_store(Backend::Postgres, "text_only_round_trip_compat");
    let compat = storage_postgres::testing::test_database_url(storage_postgres::testing::TestServer::Compat);
    store.set_env("DATABASE_URL", &compat);
    round_trip(&store);
}

#[test]
fn another_provider_or_model_than_the_recorded_one_is_refused_naming_both() {
    let store = text_store(Backend::Embedded, "model_mismatch");
    store.json(&["init", "--provider", "local", "--model", "all-MiniLM-L6-v2"]);
    store
        .run(&["init", "--dimensions", "384", "--provider", "local", "--model", "paraphrase-MiniLM-L3-v2"])
        .code(3)
        .stderr_has("all-MiniLM-L6-v2")
        .stderr_has("paraphrase-MiniLM-L3-v2");
}

#[test]
fn a_search_by_text_alone_needs_a_provider_and_says_how_to_record_one() {
    let store = text_store(Backend::Embedded, "no_provider");
    store.init(3);
    let outcome = store.run(&["search", "--mode", "vector", "anything"]);
    outcome.code(3).no_stdout().stderr_has("an embedding provider for the space");
    outcome.stderr_has("brainstore --collection NEW init --provider local --model all-MiniLM-L6-v2");
    // A recorded provider that cannot be built from the configuration is the same condition.
    let mut missing = text_store(Backend::Embedded, "unbuildable_provider");
    missing.json(&["init", "--dimensions", "384", "--provider", "local", "--model", "all-MiniLM-L6-v2"]);
    missing.set_env("BRAINSTORE__EMBEDDING__MODEL_PATH", missing.path("no-model-here").to_str().expect("utf-8"));
    let outcome = missing.run(&["search", "--mode", "hybrid", "anything"]);
    outcome.code(3).stderr_has("an embedding provider for the space").stderr_has("embedding.model_path");
}

#[test]
fn embed_prints_vectors_for_text_and_for_a_file_naming_bad_lines() {
    let store = text_store(Backend::Embedded, "embed_command");
    let human = store.run(&["embed", "hello world"]);
    human.ok();
    let vector: Value = serde_json::from_str(human.stdout.trim()).expect("a JSON array");
    assert_eq!(floats(&vector).len(), 384);
    let file = store.write("texts.jsonl", &text_lines());
    let lines = store.run(&["embed", "--file", file.to_str().expect("utf-8 path")]);
    lines.ok();
    let lines = lines.json_lines();
    let ids: Vec<&str> = lines.iter().filter_map(|line| line["id"].as_str()).collect();
    assert_eq!(ids, ["cat", "db", "bread"]);
    let first = floats(&lines[0]["embedding"]);
    assert!((cosine(&first, &floats(&vector)) - 1.0).abs() > 1e-3, "different texts, different vectors");
    let bad = store.write("bad.jsonl", "{\"id\":\"a\",\"text\":\"fine\"}\n{\"id\":\"b\",\"txt\":\"typo\"}\n");
    let outcome = store.run(&["embed", "--file", bad.to_str().expect("utf-8 path")]);
    outcome.code(2).stderr_has("line 2: txt: unknown field");
    assert_eq!(outcome.stdout.lines().count(), 1, "the good line before the bad one is printed");
}
