//! Unit tests of configuration loading: layers, key mapping and redaction, in-process.

use std::path::PathBuf;

use clap::Parser;

use super::layers::{Layer, Secret};
use super::{BackendKind, load_with};
use crate::args::Cli;

fn global(args: &[&str]) -> crate::args::GlobalArgs {
    let mut argv = vec!["brainstore"];
    argv.extend_from_slice(args);
    argv.push("status");
    Cli::parse_from(argv).global
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn empty_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn environment_names_map_to_keys() {
    let layer = Layer::from_environment(
        "env",
        env(&[
            ("BRAINSTORE__POSTGRES__POOL_SIZE", "3"),
            ("BRAINSTORE_BACKEND", "postgres"),
            ("BRAINSTORE_DATA_DIR", "/d"),
            ("BRAINSTORE__SEARCH__FUSION__RRF_K", "7"),
            ("BRAINSTORE_TEST_DATABASE_URL", "ignored"),
            ("EMPTY", ""),
            ("BRAINSTORE__COLLECTION", ""),
        ]),
    )
    .unwrap();
    let keys: Vec<(&str, &str)> = layer.keys().collect();
    assert_eq!(
        keys,
        [
            ("postgres.pool_size", "env BRAINSTORE__POSTGRES__POOL_SIZE"),
            ("backend", "env BRAINSTORE_BACKEND"),
            ("embedded.data_dir", "env BRAINSTORE_DATA_DIR"),
            ("search.fusion.rrf_k", "env BRAINSTORE__SEARCH__FUSION__RRF_K"),
        ]
    );
    assert!(Layer::from_environment("env", env(&[("BRAINSTORE__A[0]", "x")])).is_err());
    assert!(Layer::from_environment("env", env(&[("BRAINSTORE__A____B", "x")])).is_err());
}

#[test]
fn secrets_never_show_in_debug() {
    let layer = Layer::from_environment("env", env(&[("DATABASE_URL", "postgres://u:p%40ss@h/d")])).unwrap();
    let text = format!("{layer:?}");
    assert!(!text.contains("p%40ss"), "{text}");
    assert_eq!(
        layer.database_url().map(|(url, _)| url.expose().to_owned()).as_deref(),
        Some("postgres://u:p%40ss@h/d")
    );
    assert_eq!(format!("{:?}", Secret::from_test("x")), "Secret(<redacted>)");
}

#[test]
fn flags_beat_environment_and_defaults_fill_the_rest() {
    let dir = empty_dir();
    let app =
        load_with(dir.path(), &env(&[("BRAINSTORE_BACKEND", "postgres")]), &global(&["--backend", "chroma"])).unwrap();
    assert_eq!(app.backend, BackendKind::Embedded);
    assert_eq!(app.sources["backend"], "flag --backend");
    assert_eq!(app.search.top_k, storage_core::DEFAULT_TOP_K);
    assert!(!app.sources.contains_key("search.top_k"));
    let app = load_with(dir.path(), &env(&[]), &global(&["--data-dir", "/tmp/x"])).unwrap();
    assert_eq!(app.embedded.data_dir, PathBuf::from("/tmp/x"));
}

#[test]
fn an_empty_yaml_file_is_all_defaults() {
    let dir = empty_dir();
    std::fs::write(dir.path().join("brainstore.yaml"), "").unwrap();
    let app = load_with(dir.path(), &env(&[]), &global(&[])).unwrap();
    assert_eq!(app.collection.as_str(), "default");
}

#[test]
fn tenant_and_memory_keys_default_and_are_checked() {
    let dir = empty_dir();
    let app = load_with(dir.path(), &env(&[]), &global(&[])).unwrap();
    assert_eq!(app.tenant, "default");
    assert!((app.memory.dedup_threshold - 0.92).abs() < 1e-6);
    let tree = app.effective_tree().unwrap();
    assert_eq!(tree["memory"]["dedup_threshold"], serde_json::json!(0.92), "f32 values show as written");
    std::fs::write(dir.path().join("brainstore.yaml"), "tenant: acme\nmemory:\n  weights:\n    recency: 0.5\n")
        .unwrap();
    let app = load_with(dir.path(), &env(&[("BRAINSTORE__MEMORY__DEDUP_THRESHOLD", "0.8")]), &global(&[])).unwrap();
    assert_eq!((app.tenant.as_str(), app.memory.weights.recency), ("acme", 0.5));
    assert!((app.memory.dedup_threshold - 0.8).abs() < 1e-6);
    let error = load_with(dir.path(), &env(&[("BRAINSTORE__TENANT", "")]), &global(&[])).map(|_| ());
    assert!(error.is_ok(), "an empty variable counts as unset");
    let bad = |pairs: &[(&str, &str)]| load_with(dir.path(), &env(pairs), &global(&[])).unwrap_err().to_string();
    assert!(bad(&[("BRAINSTORE__MEMORY__DEDUP_THRESHOLD", "2")]).contains("memory.dedup_threshold"));
    assert!(bad(&[("BRAINSTORE__MEMORY__WEIGHTS__SEMANTC", "1")]).contains("semantc"));
    std::fs::write(dir.path().join("brainstore.yaml"), "tenant: \"\"\n").unwrap();
    assert!(bad(&[]).contains("tenant: must be 1 to 200 bytes"));
}
