//! Every command's happy path on both backends: exit 0, the `--json` shapes of docs/design.md, readable human output.

mod common;

use serde_json::json;

use common::{chunk_line, fixture_lines};

/// `ingest` into an empty PostgreSQL collection loads without the HNSW index and builds it at the end.
#[test]
fn postgres_ingest_ends_with_the_vector_index_built() {
    let store = common::Store::postgres("ingest_index");
    store.init(3);
    let path = store.write("rows.jsonl", &fixture_lines());
    store.json(&["ingest", path.to_str().expect("utf-8"), "--batch-size", "1"]);
    assert_eq!(store.vector_indexes(), ["default"]);
    // A failed load still ends with the index, over what was committed before the bad line.
    let failing = common::Store::postgres("ingest_index_fail");
    failing.init(3);
    let bad = format!("{}\n{{not json\n", chunk_line("ok", "fine", json!({}), Some(&[1.0, 0.0, 0.0])));
    failing
        .run_with_stdin(&["ingest", "-", "--batch-size", "1"], Some(&bad))
        .code(2)
        .stderr_has("line 2: not valid JSON");
    assert_eq!(failing.count(), 1);
    assert_eq!(failing.vector_indexes(), ["default"]);
}

both_backends! {
    fn init_is_idempotent_and_records_the_embedding_space(store) {
        let first = store.json(&["init", "--dimensions", "3", "--provider", "test", "--model", "m1"]);
        assert_eq!(first["collection"], "default");
        assert_eq!(first["embedding"]["dimensions"], 3);
        assert_eq!(first["embedding"]["model"], "m1");
        let again = store.json(&["init", "--dimensions", "3", "--provider", "test", "--model", "m1"]);
        assert_eq!(again["embedding"], first["embedding"]);
        let human = store.run(&["init", "--dimensions", "3"]);
        human.ok().stdout_has("initialized collection `default`").stdout_has("test/m1 (cosine, 3 dimensions)");
    }

    fn ingest_reports_the_design_summary_and_upserts(store) {
        store.init(3);
        let summary = store.ingest(&fixture_lines());
        for key in ["ingested", "inserted", "updated", "skipped", "seconds", "rows_per_sec"] {
            assert!(summary.get(key).is_some(), "ingest --json lacks {key}: {summary}");
        }
        assert_eq!((summary["ingested"].as_u64(), summary["inserted"].as_u64()), (Some(4), Some(4)));
        assert_eq!(store.count(), 4);
        // The same ids again update instead of inserting; a batch size of 1 commits line by line.
        let path = store.write("again.jsonl", &fixture_lines());
        let again = store.json(&["ingest", path.to_str().unwrap(), "--batch-size", "1"]);
        assert_eq!((again["inserted"].as_u64(), again["updated"].as_u64()), (Some(0), Some(4)));
        assert_eq!(again["batches"], 4);
        assert_eq!(store.count(), 4);
    }

    fn ingest_reads_standard_input(store) {
        store.init(3);
        let outcome = store.run_with_stdin(&["ingest", "-"], Some(&fixture_lines()));
        outcome.ok().stdout_has("ingested 4 rows");
        assert!(outcome.stderr.is_empty(), "no progress bar without a terminal: {}", outcome.stderr);
        assert_eq!(store.count(), 4);
    }

    fn search_ranks_in_every_mode(store) {
        store.init(3);
        store.ingest(&fixture_lines());
        let vector = store.json(&["search", "--mode", "vector", "--embedding", "[1, 0, 0]", "--top-k", "2"]);
        assert_eq!(vector["mode"], "vector");
        assert!(vector["took_ms"].as_f64().is_some());
        let ids: Vec<&str> = vector["results"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["a", "d"]);
        let top = &vector["results"][0];
        for key in ["id", "text", "metadata", "score", "distance"] {
            assert!(top.get(key).is_some(), "a vector hit lacks {key}: {top}");
        }
        assert!((top["score"].as_f64().unwrap() - 1.0).abs() < 1e-6);

        let keyword = store.json(&["search", "fox", "--mode", "keyword"]);
        let mut ids: Vec<&str> = keyword["results"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap()).collect();
        ids.sort_unstable();
        assert_eq!(ids, ["a", "d"]);

        let hybrid = store.json(&["search", "dog", "--embedding", "[0, 1, 0]", "--explain"]);
        assert_eq!(hybrid["mode"], "hybrid", "text and embedding default to hybrid");
        let first = &hybrid["results"][0];
        assert_eq!(first["id"], "b");
        assert_eq!((first["vector_rank"].as_u64(), first["keyword_rank"].as_u64()), (Some(1), Some(1)));
        assert!(first["matched_terms"].as_array().is_some_and(|t| t.contains(&json!("dog"))), "{first}");
    }

    fn search_match_any_or_all_from_the_flag_the_config_and_a_query_line(store) {
        store.init(3);
        store.ingest(&fixture_lines());
        let ids = |results: &serde_json::Value| -> Vec<String> {
            let mut ids: Vec<String> =
                results["results"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_owned()).collect();
            ids.sort_unstable();
            ids
        };
        let any = store.json(&["search", "fox dog", "--mode", "keyword"]);
        assert_eq!(ids(&any), ["a", "b", "d"], "any word matches by default");
        let all = store.json(&["search", "fox dog", "--mode", "keyword", "--match", "all"]);
        assert_eq!(ids(&all), ["d"], "--match all needs both words");
        let explicit = store.json(&["search", "fox dog", "--mode", "keyword", "--match", "ANY"]);
        assert_eq!(ids(&explicit), ["a", "b", "d"]);
        store.write("brainstore.yaml", "search:\n  match: all\n");
        let configured = store.json(&["search", "fox dog", "--mode", "keyword"]);
        assert_eq!(ids(&configured), ["d"], "search.match: all in the config file");
        let flag_wins = store.json(&["search", "fox dog", "--mode", "keyword", "--match", "any"]);
        assert_eq!(ids(&flag_wins), ["a", "b", "d"]);
        let queries = [json!({"id": "q", "text": "fox dog", "mode": "keyword", "match": "any"}).to_string()].join("\n");
        let path = store.write("queries.jsonl", &queries);
        let lines = store.run(&["search", "--queries", path.to_str().unwrap()]).ok().json_lines();
        assert_eq!(ids(&lines[0]), ["a", "b", "d"], "a query line's match over the config's");
        store.run(&["search", "fox", "--match", "some"]).code(2).no_stdout().stderr_has("--match").stderr_has("any or all");
        let bad = [json!({"id": "q", "text": "fox", "match": 1}).to_string()].join("\n");
        let path = store.write("bad.jsonl", &bad);
        store.run(&["search", "--queries", path.to_str().unwrap()]).code(2).stderr_has("line 1").stderr_has("match");
    }

    fn search_filters_by_metadata_and_text(store) {
        store.init(3);
        store.ingest(&fixture_lines());
        let hits = store.json(&[
            "search", "--embedding", "[1, 0, 0]", "--where", r#"{"$and": [{"kind": "animal"}, {"year": {"$gte": 2021}}]}"#,
        ]);
        let ids: Vec<&str> = hits["results"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["d", "b"]);
        let hits = store.json(&["search", "--embedding", "[1, 0, 0]", "--where-document", r#"{"$contains": "rust"}"#]);
        assert_eq!(hits["results"].as_array().unwrap().len(), 1);
        assert_eq!(hits["results"][0]["id"], "c");
        let hits = store.json(&["search", "--embedding", "[1, 0, 0]", "--min-score", "0.9"]);
        assert_eq!(hits["results"].as_array().unwrap().len(), 1);
    }

    fn human_search_output_is_a_ranked_table(store) {
        store.init(3);
        store.ingest(&fixture_lines());
        let outcome = store.run(&["search", "fox", "--embedding", "[1, 0, 0]"]);
        outcome.ok();
        let lines: Vec<&str> = outcome.stdout.lines().collect();
        assert!(lines[0].contains("score") && lines[0].contains("id") && lines[0].contains("text"), "{}", outcome.stdout);
        assert!(lines[1].trim_start().starts_with("1  "), "{}", outcome.stdout);
        assert!(lines.last().unwrap().contains("(hybrid search,"), "{}", outcome.stdout);
    }

    fn batch_search_writes_one_json_line_per_query(store) {
        store.init(3);
        store.ingest(&fixture_lines());
        let queries = [
            json!({"id": "q1", "embedding": [1, 0, 0], "top_k": 1}),
            json!({"id": "q2", "text": "rust", "mode": "keyword"}),
            json!({"id": 3, "text": "dog", "embedding": [0, 1, 0], "where": {"kind": "animal"}}),
        ]
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
        let path = store.write("queries.jsonl", &queries);
        let outcome = store.run(&["search", "--queries", path.to_str().unwrap()]);
        outcome.ok().stderr_has("3 queries: p50 ").stderr_has("p95 ").stderr_has("queries/s");
        let lines = outcome.json_lines();
        assert_eq!(lines.len(), 3);
        assert_eq!((lines[0]["id"].as_str(), lines[0]["mode"].as_str()), (Some("q1"), Some("vector")));
        assert_eq!(lines[0]["results"].as_array().unwrap().len(), 1);
        assert_eq!(lines[1]["results"][0]["id"], "c");
        assert_eq!((lines[2]["id"].as_str(), lines[2]["mode"].as_str()), (Some("3"), Some("hybrid")));
    }

    fn get_prints_the_stored_chunk(store) {
        store.init(3);
        store.ingest(&fixture_lines());
        let chunk = store.json(&["get", "c"]);
        assert_eq!(chunk["text"], "rust ownership and borrowing");
        assert_eq!(chunk["metadata"]["path"], "src/c.rs");
        assert_eq!(chunk["embedding"], json!([0.0, 0.0, 1.0]));
        store.run(&["get", "c"]).ok().stdout_has("rust ownership and borrowing").stdout_has("3 dimensions");
        store.run(&["get", "nope"]).code(2).stderr_has("chunk `nope` in collection `default` was not found").no_stdout();
    }

    fn count_counts_with_and_without_a_filter(store) {
        store.init(3);
        store.ingest(&fixture_lines());
        assert_eq!(store.json(&["count"]), json!({"count": 4}));
        assert_eq!(store.json(&["count", "--where", r#"{"kind": "code"}"#]), json!({"count": 1}));
        assert_eq!(store.run(&["count"]).stdout, "4\n");
    }

    fn delete_by_ids_and_by_filter(store) {
        store.init(3);
        store.ingest(&fixture_lines());
        assert_eq!(store.json(&["delete", "--ids", "a,b,zzz"]), json!({"deleted": 2}));
        assert_eq!(store.json(&["delete", "--where", r#"{"path": {"$prefix": "src/"}}"#]), json!({"deleted": 1}));
        assert_eq!(store.count(), 1);
        assert!(store.json(&["get", "d"])["id"] == "d");
    }

    fn reset_empties_the_collection_and_forgets_its_space(store) {
        store.init(3);
        store.ingest(&fixture_lines());
        let reset = store.json(&["reset", "--yes"]);
        assert_eq!(reset["deleted"], 4);
        let status = store.json(&["status"]);
        assert_eq!((status["count"].as_u64(), status["embedding"].is_null()), (Some(0), true));
        store.init(5);
    }

    fn status_reports_backend_counts_and_space(store) {
        let before = store.json(&["status"]);
        assert_eq!(before["count"], 0);
        store.init(3);
        store.ingest(&fixture_lines());
        let status = store.json(&["status"]);
        let backend = if store.backend == common::Backend::Postgres { "postgres" } else { "embedded" };
        assert_eq!(status["backend"], backend);
        assert_eq!((status["initialized"].as_bool(), status["count"].as_u64()), (Some(true), Some(4)));
        assert_eq!(status["embedding"]["dimensions"], 3);
        if store.backend == common::Backend::Postgres {
            let pool = &status["pool"];
            for key in ["pool_size", "checked_in", "checked_out", "overflow", "total"] {
                assert!(pool[key].is_u64(), "status.pool lacks {key}: {status}");
            }
        }
        store.run(&["status"]).ok().stdout_has("backend:").stdout_has(backend).stdout_has("count:");
    }

    fn collections_bm25_sets_k1_and_b_and_keyword_scores_follow(store) {
        store.init(3);
        store.ingest(&fixture_lines());
        let listed = store.json(&["collections", "list"]);
        assert_eq!(listed["collections"][0]["bm25"], json!({"k1": 1.2, "b": 0.75}), "{listed}");
        let before = store.json(&["search", "fox", "--mode", "keyword"])["results"][0]["score"].as_f64().unwrap();
        let set = store.json(&["collections", "bm25", "default", "--k1", "2"]);
        assert_eq!(set["collections"][0]["bm25"], json!({"k1": 2.0, "b": 0.75}), "only the given value changes: {set}");
        store.json(&["collections", "bm25", "default", "--b", "0"]);
        let after = store.json(&["search", "fox", "--mode", "keyword"])["results"][0]["score"].as_f64().unwrap();
        assert!((after - before).abs() > 1e-4, "the parameters change the score: {before} then {after}");
        store.run(&["collections", "list"]).ok().stdout_has("k1 2, b 0");
        store.run(&["collections", "bm25", "default", "--b", "1.5"]).code(2).no_stdout().stderr_has("--b: must be between 0 and 1");
        store.run(&["collections", "bm25", "default", "--k1", "-1"]).code(2).stderr_has("--k1: must be between 0 and 100");
        store.run(&["collections", "bm25", "nowhere", "--k1", "1"]).code(3).stderr_has("nowhere");
        let listed = store.json(&["collections", "list"]);
        assert_eq!(listed["collections"][0]["bm25"], json!({"k1": 2.0, "b": 0.0}), "refusals change nothing");
    }

    fn collections_are_listed_created_and_dropped(store) {
        store.init(3);
        store.json(&["collections", "create", "notes", "--dimensions", "2"]);
        let listed = store.json(&["collections", "list"]);
        let names: Vec<&str> = listed["collections"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["default", "notes"]);
        let path = store.write("notes.jsonl", &chunk_line("n1", "a note", json!({}), Some(&[1.0, 0.0])));
        store.run(&["--collection", "notes", "ingest", path.to_str().unwrap()]).ok();
        assert_eq!(store.json(&["--collection", "notes", "count"])["count"], 1);
        assert_eq!(store.count(), 0, "collections are isolated");
        store.run(&["collections", "drop", "notes"]).code(2).stderr_has("--yes");
        store.json(&["collections", "drop", "notes", "--yes"]);
        let names = store.json(&["collections", "list"])["collections"].as_array().unwrap().len();
        assert_eq!(names, 1);
    }

    fn migrate_lists_reverts_and_reapplies(store) {
        store.init(3);
        let status = store.json(&["migrate", "status"]);
        let migrations = status["migrations"].as_array().unwrap().clone();
        assert!(!migrations.is_empty() && migrations.iter().all(|m| m["applied"] == true), "{status}");
        let down = store.json(&["migrate", "down", "--to", "0"]);
        assert_eq!(down["migrations"].as_array().unwrap().len(), migrations.len());
        assert!(store.json(&["migrate", "status"])["migrations"].as_array().unwrap().iter().all(|m| m["applied"] == false));
        let up = store.json(&["migrate", "up"]);
        assert_eq!(up["migrations"].as_array().unwrap().len(), migrations.len());
        store.run(&["migrate", "status"]).ok().stdout_has("version");
    }

    fn export_then_import_into_a_fresh_collection_round_trips(store) {
        store.init(3);
        store.ingest(&fixture_lines());
        store.json(&["collections", "create", "empty_one"]);
        let out = store.path("dump.jsonl");
        let summary = store.json(&["export", "--out", out.to_str().unwrap()]);
        assert_eq!((summary["chunks"].as_u64(), summary["collections"].as_u64()), (Some(4), Some(2)));
        let exported = std::fs::read_to_string(&out).unwrap();
        let header: serde_json::Value = serde_json::from_str(exported.lines().next().unwrap()).unwrap();
        assert_eq!((header["collection"].as_str(), header["count"].as_u64()), (Some("default"), Some(4)));
        assert_eq!(header["embedding_space"]["dimensions"], 3);
        // Importing into the same store is an idempotent upsert.
        let again = store.json(&["import", out.to_str().unwrap()]);
        assert_eq!((again["updated"].as_u64(), again["inserted"].as_u64()), (Some(4), Some(0)));
        assert_eq!(again["collections"], json!(["default", "empty_one"]));
    }

    fn broken_pipe_on_stdout_exits_zero(store) {
        store.init(3);
        let lines: String = (0..3000).map(|i| chunk_line(&format!("id{i:05}"), "text", json!({}), None) + "\n").collect();
        store.ingest(&lines);
        let mut child = store
            .command(&["export"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Read one line, then close the pipe: the next writes fail with EPIPE.
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 64];
        std::io::Read::read(&mut stdout, &mut first).unwrap();
        drop(stdout);
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&output.stderr));
        assert!(output.stderr.is_empty(), "a closed pipe is not an error: {}", String::from_utf8_lossy(&output.stderr));
    }
}
