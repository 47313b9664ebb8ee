//! Configuration precedence (defaults < YAML < .env < .env.brainstore < environment < flags), unknown keys, backend names and `DATABASE_URL`, through `config show` and real commands.

mod common;

use serde_json::Value;

use common::Store;

/// A store whose environment sets nothing, so every layer is the test's own.
fn bare() -> Store {
    let mut store = Store::embedded("config");
    store.remove_env("BRAINSTORE_BACKEND");
    store.remove_env("BRAINSTORE_DATA_DIR");
    store
}

/// `config show --json` as `key → (value, source)`.
#[track_caller]
fn shown(store: &Store, args: &[&str]) -> std::collections::BTreeMap<String, (Value, String)> {
    let mut all = args.to_vec();
    all.extend(["config", "show"]);
    let report = store.json(&all);
    report["values"]
        .as_array()
        .expect("config show lists values")
        .iter()
        .map(|row| {
            let key = row["key"].as_str().expect("a key").to_owned();
            (key, (row["value"].clone(), row["source"].as_str().expect("a source").to_owned()))
        })
        .collect()
}

#[track_caller]
fn assert_value(store: &Store, args: &[&str], key: &str, value: Value, source: &str) {
    let values = shown(store, args);
    let (actual, actual_source) = values.get(key).unwrap_or_else(|| panic!("config show lacks {key}"));
    assert_eq!((actual, actual_source.as_str()), (&value, source), "{key}");
}

#[test]
fn defaults_apply_when_nothing_is_set() {
    let store = bare();
    let values = shown(&store, &[]);
    assert_eq!(values["backend"], (Value::from("embedded"), "default".to_owned()));
    assert_eq!(values["collection"], (Value::from("default"), "default".to_owned()));
    assert_eq!(values["search.top_k"], (Value::from(10), "default".to_owned()));
    assert_eq!(values["ingest.batch_size"], (Value::from(500), "default".to_owned()));
    assert_eq!(values["embedded.data_dir"].0, Value::from("./.brainstore"));
    assert!(values.keys().any(|key| key == "postgres.pool_size"), "the postgres section is shown too");
    let human = store.run(&["config", "show"]);
    human.ok().stdout_has("key").stdout_has("source").stdout_has("search.top_k");
}

#[test]
fn each_layer_overrides_the_one_below() {
    let mut store = bare();
    store.write("brainstore.yaml", "search:\n  top_k: 11\n  min_score: 0.1\ningest:\n  batch_size: 7\n");
    assert_value(&store, &[], "search.top_k", Value::from(11), "file brainstore.yaml");
    store.write(".env", "BRAINSTORE__SEARCH__TOP_K=12\nBRAINSTORE__INGEST__BATCH_SIZE=8\n");
    assert_value(&store, &[], "search.top_k", Value::from(12), ".env BRAINSTORE__SEARCH__TOP_K");
    store.write(".env.brainstore", "BRAINSTORE__SEARCH__TOP_K=13\n");
    assert_value(&store, &[], "search.top_k", Value::from(13), ".env.brainstore BRAINSTORE__SEARCH__TOP_K");
    assert_value(&store, &[], "ingest.batch_size", Value::from(8), ".env BRAINSTORE__INGEST__BATCH_SIZE");
    store.set_env("BRAINSTORE__SEARCH__TOP_K", "14");
    assert_value(&store, &[], "search.top_k", Value::from(14), "env BRAINSTORE__SEARCH__TOP_K");
    assert_value(&store, &[], "search.min_score", Value::from(0.1f32), "file brainstore.yaml");
}

#[test]
fn flags_override_the_environment_and_the_file() {
    let mut store = bare();
    store.write("brainstore.yaml", "collection: from_file\nembedded:\n  data_dir: ./file-dir\n");
    assert_value(&store, &[], "collection", Value::from("from_file"), "file brainstore.yaml");
    store.set_env("BRAINSTORE__COLLECTION", "from_env");
    store.set_env("BRAINSTORE_DATA_DIR", "./env-dir");
    assert_value(&store, &[], "collection", Value::from("from_env"), "env BRAINSTORE__COLLECTION");
    assert_value(&store, &[], "embedded.data_dir", Value::from("./env-dir"), "env BRAINSTORE_DATA_DIR");
    assert_value(&store, &["--collection", "from_flag"], "collection", Value::from("from_flag"), "flag --collection");
    assert_value(
        &store,
        &["--data-dir", "./flag-dir"],
        "embedded.data_dir",
        Value::from("./flag-dir"),
        "flag --data-dir",
    );
}

#[test]
fn the_real_environment_beats_both_dotenv_files() {
    let mut store = bare();
    store.write(".env", "BRAINSTORE_BACKEND=postgres\n");
    assert_value(&store, &[], "backend", Value::from("postgres"), ".env BRAINSTORE_BACKEND");
    store.write(".env.brainstore", "BRAINSTORE_BACKEND=chroma\n");
    assert_value(&store, &[], "backend", Value::from("embedded"), ".env.brainstore BRAINSTORE_BACKEND");
    store.set_env("BRAINSTORE_BACKEND", "postgres");
    assert_value(&store, &[], "backend", Value::from("postgres"), "env BRAINSTORE_BACKEND");
    assert_value(&store, &["--backend", "embedded"], "backend", Value::from("embedded"), "flag --backend");
}

#[test]
fn precedence_reaches_the_commands() {
    let mut store = bare();
    store.write("brainstore.yaml", "embedded:\n  data_dir: ./from-yaml\nsearch:\n  top_k: 3\n");
    store.run(&["init", "--dimensions", "3"]).ok();
    assert!(store.path("from-yaml").is_dir(), "the YAML data_dir is where the store goes");
    store.ingest(&common::fixture_lines());
    let hits = |store: &Store| store.json(&["search", "--embedding", "[1, 0, 0]"])["results"].as_array().unwrap().len();
    assert_eq!(hits(&store), 3, "search.top_k from the file");
    store.set_env("BRAINSTORE__SEARCH__TOP_K", "1");
    assert_eq!(hits(&store), 1, "the environment beats the file");
    let flagged = store.json(&["search", "--embedding", "[1, 0, 0]", "--top-k", "2"]);
    assert_eq!(flagged["results"].as_array().unwrap().len(), 2, "the flag beats the environment");
}

#[test]
fn an_explicit_config_file_replaces_the_default_one() {
    let store = bare();
    store.write("brainstore.yaml", "search:\n  top_k: 11\n");
    store.write("other.yaml", "search:\n  top_k: 22\n");
    assert_value(&store, &["--config", "other.yaml"], "search.top_k", Value::from(22), "file other.yaml");
    store
        .run(&["--config", "missing.yaml", "config", "show"])
        .code(2)
        .stderr_has("--config: missing.yaml does not exist");
}

#[test]
fn unknown_keys_are_errors_naming_the_key() {
    let mut store = bare();
    store.write("brainstore.yaml", "postgres:\n  hots: db.example.com\n");
    store.run(&["config", "show"]).code(2).no_stdout().stderr_has("unknown field `hots`").stderr_has("`postgres`");
    store.write("brainstore.yaml", "bakend: postgres\n");
    store.run(&["status"]).code(2).stderr_has("unknown field `bakend`");
    store.write("brainstore.yaml", "search:\n  fusion:\n    rrf_kk: 10\n");
    store.run(&["config", "show"]).code(2).stderr_has("unknown field `rrf_kk`").stderr_has("search.fusion");
    store.write("brainstore.yaml", "embedded:\n  data_dri: ./x\n");
    store.run(&["config", "show"]).code(2).stderr_has("unknown field `data_dri`");
    std::fs::remove_file(store.path("brainstore.yaml")).unwrap();
    store.set_env("BRAINSTORE__POSTGRES__POOL_SIZ", "3");
    store.run(&["config", "show"]).code(2).stderr_has("unknown field `pool_siz`");
}

#[test]
fn a_misspelt_variable_is_ignored_with_a_warning_naming_every_alias() {
    let mut store = bare();
    store.set_env("BRAINSTORE_TOP_K", "3");
    store
        .run(&["config", "show"])
        .ok()
        .stderr_has("env BRAINSTORE_TOP_K is not a brainstore setting and is ignored")
        .stderr_has("BRAINSTORE_BACKEND, BRAINSTORE_DATA_DIR, BRAINSTORE_TOKEN");
    assert_value(&store, &[], "search.top_k", Value::from(10), "default");
    store.remove_env("BRAINSTORE_TOP_K");
    store.set_env("BRAINSTORE_TOKEN", "a-token-of-sixteen-bytes");
    let values = shown(&store, &[]);
    assert_eq!(values["server.token"].1, "env BRAINSTORE_TOKEN", "the alias the warning names sets its key");
}

#[test]
fn values_of_the_wrong_type_name_the_key_and_the_source() {
    let mut store = bare();
    store.set_env("BRAINSTORE__SEARCH__TOP_K", "many");
    store.run(&["config", "show"]).code(2).stderr_has("search.top_k").stderr_has("env BRAINSTORE__SEARCH__TOP_K");
    store.remove_env("BRAINSTORE__SEARCH__TOP_K");
    store.write("brainstore.yaml", "ingest:\n  batch_size: 0\n");
    store.run(&["config", "show"]).code(2).stderr_has("ingest.batch_size: must be between 1 and 10000");
}

#[test]
fn an_invalid_backend_name_lists_the_valid_ones() {
    let mut store = bare();
    store
        .run(&["--backend", "mongo", "status"])
        .code(2)
        .stderr_has("`mongo` is not a backend")
        .stderr_has("embedded (alias chroma), postgres");
    store.set_env("BRAINSTORE_BACKEND", "sqlite");
    store.run(&["status"]).code(2).stderr_has("`sqlite` is not a backend");
    store.remove_env("BRAINSTORE_BACKEND");
    store.write("brainstore.yaml", "backend: Chroma\n");
    assert_value(&store, &[], "backend", Value::from("embedded"), "file brainstore.yaml");
}

#[test]
fn database_url_replaces_only_the_connection_fields() {
    let mut store = bare();
    store.write(
        "brainstore.yaml",
        "postgres:\n  host: yaml-host\n  port: 6000\n  pool_size: 20\n  pool_max_overflow: 5\n  pool_timeout: 45\n  \
         language: german\n  hnsw_m: 24\n  ssl_mode: require\n",
    );
    store.set_env("DATABASE_URL", "postgres://url_user:secret@db.example.com:5433/url_db");
    let values = shown(&store, &[]);
    let check = |key: &str, value: Value, source: &str| {
        assert_eq!((&values[key].0, values[key].1.as_str()), (&value, source), "{key}");
    };
    check("postgres.host", Value::from("db.example.com"), "DATABASE_URL (env DATABASE_URL)");
    check("postgres.port", Value::from(5433), "DATABASE_URL (env DATABASE_URL)");
    check("postgres.database", Value::from("url_db"), "DATABASE_URL (env DATABASE_URL)");
    check("postgres.user", Value::from("url_user"), "DATABASE_URL (env DATABASE_URL)");
    check("postgres.pool_size", Value::from(20), "file brainstore.yaml");
    check("postgres.pool_max_overflow", Value::from(5), "file brainstore.yaml");
    check("postgres.pool_timeout", Value::from(45), "file brainstore.yaml");
    check("postgres.language", Value::from("german"), "file brainstore.yaml");
    check("postgres.hnsw_m", Value::from(24), "file brainstore.yaml");
    check("postgres.ssl_mode", Value::from("require"), "file brainstore.yaml");
    // The flag beats the variable; the .env files lose to it.
    store.write(".env.brainstore", "DATABASE_URL=postgres://a@dotenv-host/d\n");
    let values = shown(&store, &["--database-url", "postgres://b@flag-host:5999/f"]);
    assert_eq!(values["postgres.host"], (Value::from("flag-host"), "DATABASE_URL (flag --database-url)".to_owned()));
    store.remove_env("DATABASE_URL");
    let values = shown(&store, &[]);
    assert_eq!(
        values["postgres.host"],
        (Value::from("dotenv-host"), "DATABASE_URL (.env.brainstore DATABASE_URL)".to_owned())
    );
}

#[test]
fn a_malformed_dotenv_line_is_reported_without_its_content() {
    let store = bare();
    store.write(".env.brainstore", "OK=1\nDATABASE_URL='postgres://u:hunter2@h/d\n");
    let outcome = store.run(&["config", "show"]);
    outcome.code(2).stderr_has(".env.brainstore: cannot parse line");
    assert!(!outcome.stderr.contains("hunter2"), "{}", outcome.stderr);
}

#[test]
fn a_foreign_database_url_in_dotenv_does_not_stop_the_embedded_backend() {
    let store = bare();
    store.write(".env", "DATABASE_URL=mysql://app:pw@localhost/app\n");
    let outcome = store.run(&["status"]);
    outcome.ok().stderr_has("DATABASE_URL").stderr_has("ignored unless the postgres backend is used");
    assert!(!outcome.stderr.contains("pw@"), "{}", outcome.stderr);
    store
        .run(&["--backend", "postgres", "status"])
        .code(2)
        .no_stdout()
        .stderr_has("DATABASE_URL (from .env DATABASE_URL)");
    store.run(&["copy", "--to", "postgres"]).code(2).stderr_has("DATABASE_URL");
}

#[test]
fn help_lists_the_configuration_layers_without_breaking_a_phrase() {
    let outcome = bare().run(&["--help"]);
    outcome.ok();
    let section: Vec<&str> = outcome
        .stdout
        .lines()
        .skip_while(|line| !line.starts_with("Configuration, from lowest"))
        .skip(1)
        .take_while(|line| !line.starts_with("DATABASE_URL (or"))
        .collect();
    assert_eq!(section.iter().filter(|line| line.starts_with("  ")).count(), section.len(), "{section:#?}");
    for line in &section {
        // Each layer starts `  N. `; its continuation lines are indented under the text, never at column 2.
        let numbered = line.len() > 4 && line.as_bytes()[2].is_ascii_digit() && line[3..].starts_with(". ");
        assert!(numbered || line.starts_with("     "), "a wrapped line lost its indent: {line:?}");
    }
    assert_eq!(section.iter().filter(|line| line.starts_with("  ") && line.as_bytes()[2].is_ascii_digit()).count(), 5);
}
