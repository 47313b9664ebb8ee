//! Moving data between backends: embedded → export → import into PostgreSQL → export round-trips every record, `copy` gives the same, resumes, verifies, and an unreachable server exits 4.

mod common;

use std::net::TcpListener;

use serde_json::{Value, json};

use common::{Store, chunk_line};

/// An embedded store with two collections: vectors with metadata of every JSON type, and a keyword-only one.
fn source() -> Store {
    let store = Store::embedded("movement_source");
    store.run(&["init", "--dimensions", "4", "--provider", "test", "--model", "m1"]).ok();
    let mut lines = Vec::new();
    for i in 0..1200u32 {
        let f = |k: u32| (f64::from((i * 7 + k * 13) % 97) / 97.0 - 0.5) as f32 + 1e-3;
        let metadata = json!({
            "n": i, "half": f64::from(i) / 2.0, "even": i % 2 == 0, "tags": ["x", format!("t{}", i % 5)],
            "nested": {"path": format!("docs/{}/f{i}.md", i % 3)}, "unicode": "naïve — ✓", "none": null,
        });
        lines.push(chunk_line(
            &format!("c{i:05}"),
            &format!("chunk number {i} about topic {}", i % 11),
            metadata,
            Some(&[f(0), f(1), f(2), f(3)]),
        ));
    }
    store.ingest(&(lines.join("\n") + "\n"));
    store.run(&["collections", "create", "notes"]).ok();
    let notes: Vec<String> =
        (0..30).map(|i| chunk_line(&format!("n{i}"), &format!("note {i}"), json!({"i": i}), None)).collect();
    let path = store.write("notes.jsonl", &notes.join("\n"));
    store.run(&["--collection", "notes", "ingest", path.to_str().expect("utf-8")]).ok();
    store
}

/// Records of an export without their timestamps (every store sets its own), in file order.
fn records(lines: &[Value]) -> Vec<Value> {
    lines
        .iter()
        .map(|line| {
            let mut line = line.clone();
            if let Value::Object(map) = &mut line {
                map.remove("created_at");
                map.remove("updated_at");
            }
            line
        })
        .collect()
}

/// Asserts two exports hold the same collections and records, embeddings within 1e-6.
#[track_caller]
fn assert_same_records(left: &[Value], right: &[Value]) {
    let (left, right) = (records(left), records(right));
    assert_eq!(left.len(), right.len(), "line counts differ");
    for (a, b) in left.iter().zip(&right) {
        let (mut a, mut b) = (a.clone(), b.clone());
        let (ea, eb) = (
            a.as_object_mut().and_then(|m| m.remove("embedding")),
            b.as_object_mut().and_then(|m| m.remove("embedding")),
        );
        assert_eq!(a, b);
        match (ea, eb) {
            (None, None) => {}
            (Some(Value::Array(x)), Some(Value::Array(y))) => {
                assert_eq!(x.len(), y.len());
                for (x, y) in x.iter().zip(&y) {
                    let (x, y) = (x.as_f64().expect("a number"), y.as_f64().expect("a number"));
                    assert!((x - y).abs() <= 1e-6, "embedding values {x} and {y} differ in {a}");
                }
            }
            other => panic!("embeddings differ: {other:?} in {a}"),
        }
    }
}

#[test]
fn export_import_into_postgres_and_export_again_gives_identical_records() {
    let embedded = source();
    let dump = embedded.path("dump.jsonl");
    embedded.run(&["export", "--out", dump.to_str().expect("utf-8")]).ok();
    let original = embedded.snapshot();
    assert_eq!(original.len(), 2 + 1200 + 30);

    let postgres = Store::postgres("round_trip");
    let imported = postgres.json(&["import", dump.to_str().expect("utf-8")]);
    assert_eq!((imported["inserted"].as_u64(), imported["ingested"].as_u64()), (Some(1230), Some(1230)));
    assert_eq!(imported["collections"], json!(["default", "notes"]));
    let round_tripped = postgres.snapshot();
    assert_same_records(&original, &round_tripped);
    assert_eq!(
        postgres.vector_indexes(),
        ["default"],
        "the imported collection with vectors ends indexed (notes has none)"
    );
    // And back: PostgreSQL → embedded gives the same records again.
    let back = Store::embedded("round_trip_back");
    let path = back.write("from_pg.jsonl", &(postgres.run(&["export"]).stdout));
    back.run(&["import", path.to_str().expect("utf-8")]).ok();
    assert_same_records(&original, &back.snapshot());
}

#[test]
fn copy_to_postgres_gives_the_same_records_and_resumes() {
    let embedded = source();
    let target = Store::postgres("copy_target");
    let url = target.env("DATABASE_URL").expect("a URL").to_owned();
    let schema = target.env("BRAINSTORE__POSTGRES__SCHEMA").expect("a schema").to_owned();
    let mut copier = embedded;
    copier.set_env("BRAINSTORE__POSTGRES__SCHEMA", &schema);
    copier.set_env("BRAINSTORE__POSTGRES__POOL_SIZE", "2");
    // `--to postgres` (the resumed run) means the configured postgres section.
    copier.set_env("DATABASE_URL", &url);

    let report = copier.json(&["copy", "--to", &url]);
    let collections = report["collections"].as_array().expect("per collection");
    assert_eq!(collections.len(), 2);
    assert_eq!((collections[0]["copied"].as_u64(), collections[0]["skipped"].as_u64()), (Some(1200), Some(0)));
    assert_eq!(
        (collections[0]["source_count"].as_u64(), collections[0]["target_count"].as_u64()),
        (Some(1200), Some(1200))
    );
    assert!(collections[0]["verified"].as_u64().is_some_and(|n| n >= 50), "{report}");
    assert!(!report["target"].as_str().expect("a target").contains('@'), "the target is described without credentials");
    assert_same_records(&copier.snapshot(), &target.snapshot());
    assert_eq!(
        target.vector_indexes(),
        ["default"],
        "the copied collection with vectors ends indexed (notes has none)"
    );

    // Lose some chunks and change one in the target, as an interrupted or stale copy would.
    target.json(&["delete", "--where", r#"{"n": {"$gte": 1000}}"#]);
    let changed = chunk_line("c00005", "changed meanwhile", json!({}), Some(&[1.0, 0.0, 0.0, 0.0]));
    target.ingest(&changed);
    let resumed = copier.json(&["copy", "--to", "postgres"]);
    let default = &resumed["collections"][0];
    assert_eq!((default["copied"].as_u64(), default["skipped"].as_u64()), (Some(201), Some(999)), "{resumed}");
    assert_eq!(resumed["collections"][1]["copied"], 0);
    assert_same_records(&copier.snapshot(), &target.snapshot());
}

#[test]
fn copy_from_postgres_to_an_embedded_folder() {
    let postgres = Store::postgres("copy_back");
    postgres.init(3);
    postgres.ingest(&common::fixture_lines());
    let report = postgres.json(&["copy", "--to", "embedded:copied"]);
    assert_eq!(report["collections"][0]["target_count"], 4);
    let mut reader = Store::embedded("copy_back_reader");
    reader.set_env("BRAINSTORE_DATA_DIR", &postgres.path("copied").display().to_string());
    assert_same_records(&postgres.snapshot(), &reader.snapshot());
}

#[test]
fn copying_a_store_onto_itself_is_refused() {
    let store = Store::embedded("copy_self");
    store.init(3);
    let dir = store.env("BRAINSTORE_DATA_DIR").expect("a data dir").to_owned();
    store.run(&["copy", "--to", &format!("embedded:{dir}")]).code(2).stderr_has("is the configured store itself");
    store.run(&["copy", "--to", "mongo://x"]).code(2).stderr_has("not a store");
}

#[test]
fn an_unreachable_server_exits_4_after_the_configured_attempts() {
    let port = TcpListener::bind(("127.0.0.1", 0)).and_then(|l| l.local_addr()).map(|a| a.port()).expect("a port");
    let mut store = Store::postgres("unreachable");
    store.set_env("DATABASE_URL", &format!("postgres://brainstore@127.0.0.1:{port}/brainstore"));
    store.set_env("BRAINSTORE__POSTGRES__CONNECT_ATTEMPTS", "2");
    store.set_env("BRAINSTORE__POSTGRES__CONNECT_BACKOFF_MS", "5");
    for args in [&["status"][..], &["count"], &["init", "--dimensions", "3"], &["search", "x"]] {
        let outcome = store.run(args);
        outcome
            .code(4)
            .no_stdout()
            .stderr_has(&format!("backend unavailable at 127.0.0.1:{port}"))
            .stderr_has("after 2 attempt(s)");
        assert_eq!(outcome.stderr.lines().filter(|line| line.starts_with("brainstore: ")).count(), 1, "one error line");
    }
    // A usage error is found before any connection is tried.
    store.run(&["reset"]).code(2);
}

#[test]
fn export_out_dash_writes_to_stdout_and_no_file_named_dash() {
    let store = Store::embedded("export_dash");
    store.init(3);
    store.ingest(&chunk_line("a", "alpha", json!({"k": 1}), Some(&[1.0, 0.0, 0.0])));
    let dashed = store.run(&["export", "--out", "-"]);
    dashed.ok();
    assert_eq!(dashed.stdout, store.run(&["export"]).stdout, "`--out -` is stdout, like no --out");
    let lines: Vec<Value> =
        dashed.stdout.lines().map(|line| serde_json::from_str(line).expect("a JSON line")).collect();
    assert_eq!(
        (lines.len(), lines[0]["collection"].as_str(), lines[1]["id"].as_str()),
        (2, Some("default"), Some("a"))
    );
    assert!(!store.path("-").exists(), "no file named `-`");
}
