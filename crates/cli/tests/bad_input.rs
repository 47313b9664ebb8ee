//! Bad input on both backends: the exit code, a message naming the line, field or flag, and a store left exactly as it was.

mod common;

use serde_json::json;

use common::{Store, chunk_line, fixture_lines};

/// An initialized store holding the fixture.
fn filled(store: &Store) -> Vec<serde_json::Value> {
    store.init(3);
    store.ingest(&fixture_lines());
    store.snapshot()
}

/// Runs `ingest` on `lines`, expecting a refusal of `line` with `code`, nothing on stdout and the store
/// unchanged.
#[track_caller]
fn refused_line(store: &Store, lines: &str, code: i32, line: u64, message: &str) {
    let before = store.snapshot();
    let path = store.write("bad.jsonl", lines);
    let outcome = store.run(&["ingest", path.to_str().expect("a UTF-8 path")]);
    outcome.code(code).no_stdout().stderr_has(&format!("brainstore: line {line}: ")).stderr_has(message);
    assert_eq!(store.snapshot(), before, "a refused ingest changed the store");
}

fn good(id: &str) -> String {
    chunk_line(id, "fine", json!({}), Some(&[1.0, 0.0, 0.0]))
}

both_backends! {
    fn malformed_json_line_is_refused_with_its_number(store) {
        filled(&store);
        refused_line(&store, &format!("{}\n{{\"id\": \"x\", \"text\": \n", good("new1")), 2, 2, "not valid JSON");
    }

    fn missing_id_is_refused(store) {
        filled(&store);
        refused_line(&store, &format!("{}\n{{\"text\": \"no id\"}}\n", good("new1")), 2, 2, "id: missing");
    }

    fn wrong_vector_length_is_refused_naming_both_numbers(store) {
        filled(&store);
        let line = chunk_line("v", "t", json!({}), Some(&[1.0, 0.0]));
        refused_line(&store, &format!("{}\n{line}\n", good("new1")), 2, 2, "the store has 3 dimensions, 2 were given");
    }

    fn a_number_that_overflows_f32_is_refused(store) {
        filled(&store);
        let line = r#"{"id": "nan", "embedding": [1e39, 0, 0]}"#;
        refused_line(&store, line, 2, 1, "embedding[0]: 1000000000000000000000000000000000000000 does not fit in an f32");
    }

    fn the_nan_token_is_refused(store) {
        filled(&store);
        refused_line(&store, r#"{"id": "nan", "embedding": [NaN, 0, 0]}"#, 2, 1, "not valid JSON");
    }

    fn non_object_metadata_is_refused(store) {
        filled(&store);
        refused_line(&store, r#"{"id": "m", "metadata": ["a"]}"#, 2, 1, "metadata: must be a JSON object, got an array");
    }

    fn an_unknown_field_is_refused_not_dropped(store) {
        filled(&store);
        refused_line(&store, r#"{"id": "m", "metdata": {"a": 1}}"#, 2, 1, "metdata: unknown field");
    }

    fn a_bad_line_keeps_earlier_batches_and_writes_none_of_its_own(store) {
        store.init(3);
        let mut lines: Vec<String> = (0..5).map(|i| good(&format!("ok{i}"))).collect();
        lines.push("{broken".to_owned());
        let path = store.write("partial.jsonl", &(lines.join("\n") + "\n"));
        let outcome = store.run(&["ingest", path.to_str().unwrap(), "--batch-size", "2"]);
        // Lines 1-4 fill two committed batches; line 5 sits in the third, which line 6 stops.
        outcome
            .code(2)
            .stderr_has("stopped at line 6: 4 row(s) committed in 2 batch(es), through line 4")
            .stderr_has("brainstore: line 6: not valid JSON");
        assert_eq!(store.count(), 4);
        assert_eq!(store.run(&["get", "ok4"]).code, 2, "no row of the failed batch is written");
    }

    fn skip_invalid_reports_and_skips_each_bad_line(store) {
        store.init(3);
        let lines = [good("a"), "not json".to_owned(), good("b"), r#"{"id": "c", "embedding": [1, 2]}"#.to_owned()];
        let path = store.write("mixed.jsonl", &lines.join("\n"));
        let outcome = store.run(&["--json", "ingest", path.to_str().unwrap(), "--skip-invalid"]);
        outcome.ok().stderr_has("line 2: not valid JSON").stderr_has("(skipped)").stderr_has("line 4: ");
        let summary = outcome.json();
        assert_eq!((summary["ingested"].as_u64(), summary["skipped"].as_u64()), (Some(2), Some(2)));
        assert_eq!(store.count(), 2);
    }

    fn ingest_into_an_uninitialized_collection_is_incompatible_state(store) {
        let path = store.write("one.jsonl", &good("a"));
        store.run(&["ingest", path.to_str().unwrap()]).code(3).stderr_has("not initialized").stderr_has("init");
    }

    fn an_embedding_without_a_recorded_space_is_incompatible_state(store) {
        store.run(&["init"]).ok();
        refused_line(&store, &good("a"), 3, 1, "embedding space of collection `default` is not initialized");
    }

    fn a_missing_input_file_is_a_usage_error(store) {
        store.init(3);
        store.run(&["ingest", "no-such-file.jsonl"]).code(2).stderr_has("cannot read no-such-file.jsonl");
    }

    fn invalid_filter_json_is_refused_before_the_store_opens(store) {
        let before = filled(&store);
        store.run(&["count", "--where", "{kind: 1"]).code(2).no_stdout().stderr_has("where: is not valid JSON");
        store.run(&["search", "x", "--where", "[1]"]).code(2).stderr_has("--where: a filter must be a JSON object");
        store.run(&["delete", "--where", "{\"a\""]).code(2).stderr_has("where: is not valid JSON");
        assert_eq!(store.snapshot(), before);
    }

    fn unknown_filter_operator_is_refused_naming_the_path(store) {
        let before = filled(&store);
        let outcome = store.run(&["delete", "--where", r#"{"$and": [{"year": {"$between": [1, 2]}}]}"#]);
        outcome.code(2).no_stdout().stderr_has("$and[0].year").stderr_has("$between");
        assert_eq!(store.snapshot(), before);
    }

    fn empty_delete_filter_is_refused(store) {
        let before = filled(&store);
        store.run(&["delete", "--where", "{}"]).code(2).no_stdout().stderr_has("matches every");
        store.run(&["delete", "--ids", ","]).code(2).stderr_has("--ids");
        store.run(&["delete"]).code(2);
        assert_eq!(store.snapshot(), before);
    }

    fn reset_without_yes_touches_nothing(store) {
        let before = filled(&store);
        store.run(&["reset"]).code(2).no_stdout().stderr_has("pass --yes");
        assert_eq!(store.snapshot(), before);
    }

    fn vector_search_without_an_embedding_is_refused(store) {
        filled(&store);
        // Text alone is embedded only into a space that names a provider; this one names none.
        store
            .run(&["search", "fox", "--mode", "vector"])
            .code(3)
            .no_stdout()
            .stderr_has("an embedding provider for the space");
        store
            .run(&["search", "--mode", "vector"])
            .code(2)
            .no_stdout()
            .stderr_has("--embedding: vector search needs a query embedding");
        store.run(&["search", "--mode", "keyword"]).code(2).stderr_has("TEXT: keyword search needs query text");
        store.run(&["search", "--embedding", "[1, 2"]).code(2).stderr_has("--embedding: not valid JSON");
        store.run(&["search", "x", "--top-k", "0"]).code(2).stderr_has("--top-k: must be between 1");
    }

    fn a_query_of_the_wrong_length_is_incompatible_state(store) {
        filled(&store);
        store.run(&["search", "--embedding", "[1, 0]"]).code(3).stderr_has("the store has 3 dimensions, 2 were given");
    }

    fn dimension_mismatch_on_init_is_incompatible_state(store) {
        let before = filled(&store);
        let outcome = store.run(&["init", "--dimensions", "768"]);
        outcome.code(3).no_stdout().stderr_has("the store has 3 dimensions, 768 were given").stderr_has("reset");
        store.run(&["init", "--dimensions", "3", "--metric", "l2"]).code(3).stderr_has("model mismatch");
        assert_eq!(store.snapshot(), before);
    }

    fn batch_queries_with_a_bad_line_run_nothing(store) {
        filled(&store);
        let path = store.write("queries.jsonl", "{\"id\": \"q1\", \"text\": \"fox\"}\n{\"text\": \"no id\"}\n");
        store.run(&["search", "--queries", path.to_str().unwrap()]).code(2).no_stdout().stderr_has("line 2: id: missing");
    }

    fn import_of_an_incompatible_space_is_refused(store) {
        filled(&store);
        let dump = r#"{"brainstore_export": 1, "collection": "default", "embedding_space": {"dimensions": 5}, "count": 0}"#;
        let path = store.write("dump.jsonl", dump);
        let before = store.snapshot();
        store.run(&["import", path.to_str().unwrap()]).code(3).stderr_has("3 dimensions, 5 were given");
        assert_eq!(store.snapshot(), before);
        let orphan = store.write("orphan.jsonl", &good("a"));
        store.run(&["import", orphan.to_str().unwrap()]).code(2).stderr_has("line 1: collection: a chunk line before any collection header");
    }
}

#[test]
fn usage_errors_come_from_clap_with_exit_2() {
    let store = Store::embedded("usage");
    store.run(&["search", "--mode", "graph", "x"]).code(2).stderr_has("graph");
    store.run(&["no-such-command"]).code(2);
    store.run(&["--help"]).ok().stdout_has("precedence").stdout_has("Exit codes");
}
