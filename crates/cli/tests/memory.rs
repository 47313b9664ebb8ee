//! `brainstore memory …` end to end on both backends: the remember / recall / supersede / forget / history round trip, dedup with crafted vectors, key upserts, tenant isolation, `--from-json`, and bad input.

mod common;

use serde_json::{Value, json};

use common::Store;

/// `init` with no embedding space: memory commands need the schema, not a collection space.
fn ready(store: &Store) {
    store.run(&["init"]).ok();
}

/// `memory remember … --json` (asserting success).
#[track_caller]
fn remember(store: &Store, args: &[&str]) -> Value {
    let mut full = vec!["memory", "remember"];
    full.extend_from_slice(args);
    store.json(&full)
}

fn id_of(outcome: &Value) -> String {
    outcome["memory"]["id"].as_str().expect("a memory id").to_owned()
}

fn ids(list: &Value, key: &str, path: &[&str]) -> Vec<String> {
    list[key]
        .as_array()
        .expect("an array")
        .iter()
        .map(|item| path.iter().fold(item, |node, part| &node[*part]).as_str().expect("an id").to_owned())
        .collect()
}

/// A unit vector on two axes whose cosine similarity to `[1, 0]` is `similarity`.
fn at_similarity(similarity: f64) -> String {
    json!([similarity, (1.0 - similarity * similarity).sqrt()]).to_string()
}

both_backends! {
    fn remember_recall_supersede_forget_and_history_round_trip(store) {
        ready(&store);
        let created = remember(&store, &[
            "the user prefers dark mode in every editor", "--kind", "preference", "--tag", "ui", "--importance", "7",
            "--agent", "helper", "--metadata", r#"{"source_file": "notes.md"}"#, "--actor", "alice", "--reason", "told us",
        ]);
        assert_eq!(created["action"], "created");
        let id = id_of(&created);
        let memory = &created["memory"];
        assert_eq!(memory["scope"], json!({"tenant": "default", "agent": "helper"}));
        assert_eq!((memory["kind"].as_str(), memory["importance"].as_u64()), (Some("preference"), Some(7)));
        assert_eq!(memory["metadata"], json!({"source_file": "notes.md"}));

        let got = store.json(&["memory", "get", &id]);
        assert_eq!(got["memory"]["content"], "the user prefers dark mode in every editor");
        store.run(&["memory", "get", &id]).ok().stdout_has("kind:").stdout_has("the user prefers dark mode");

        remember(&store, &["the build uses cargo nextest", "--kind", "fact"]);
        let listed = store.json(&["memory", "list", "--kind", "preference"]);
        assert_eq!((listed["count"].as_u64(), ids(&listed, "memories", &["id"])), (Some(1), vec![id.clone()]));
        assert!(listed["memories"][0].get("embedding").is_none(), "listings leave embeddings out");

        let recalled = store.json(&["memory", "recall", "dark mode", "--agent", "helper"]);
        let hit = &recalled["hits"][0];
        assert_eq!(hit["memory"]["id"], id.as_str());
        for signal in ["score", "semantic", "keyword", "recency"] {
            assert!(hit[signal].as_f64().is_some(), "a hit lacks {signal}: {hit}");
        }
        assert!(hit["keyword"].as_f64().unwrap() > 0.0, "{hit}");
        store.run(&["memory", "recall", "dark mode"]).ok().stdout_has("1 memory recalled");

        // Supersede inherits what the flags leave out: kind, tags, scope, importance.
        let replaced = store.json(&["memory", "supersede", &id, "the user prefers light mode now", "--actor", "bob"]);
        let new_id = replaced["new"]["id"].as_str().unwrap().to_owned();
        assert_eq!(replaced["old"]["status"], "superseded");
        assert_eq!(replaced["old"]["superseded_by"], new_id.as_str());
        assert_eq!(replaced["new"]["supersedes"], id.as_str());
        assert_eq!((replaced["new"]["kind"].as_str(), replaced["new"]["tags"].clone()), (Some("preference"), json!(["ui"])));
        assert_eq!(replaced["new"]["scope"]["agent"], "helper");
        let recalled = store.json(&["memory", "recall", "mode", "--kind", "preference"]);
        assert_eq!(ids(&recalled, "hits", &["memory", "id"]), vec![new_id.clone()], "superseded memories are not recalled");
        let again = store.run(&["memory", "supersede", &id, "third try"]);
        again.code(3).no_stdout().stderr_has("already superseded");

        let history = store.json(&["memory", "history", &id]);
        let actions: Vec<&str> = history["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["created", "status_changed"]);
        assert_eq!((history["entries"][0]["actor"].as_str(), history["entries"][0]["reason"].as_str()), (Some("alice"), Some("told us")));

        let forgotten = store.json(&["memory", "forget", &new_id, "--reason", "obsolete"]);
        assert_eq!(forgotten, json!({"id": new_id, "forgotten": true}));
        store.run(&["memory", "get", &new_id]).code(2).no_stdout().stderr_has("was not found");
        store.run(&["memory", "forget", &new_id]).code(2).stderr_has("was not found");
        let history = store.json(&["memory", "history", &new_id]);
        let actions: Vec<&str> = history["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["created", "deleted"], "history survives forget");
        store.run(&["memory", "history", &new_id]).ok().stdout_has("deleted").stdout_has("obsolete");
    }

    fn dedup_merges_at_093_and_keeps_090_apart(store) {
        ready(&store);
        let space = store.json(&["memory", "space", "set", "--dimensions", "2", "--model", "m1"]);
        assert_eq!(space["embedding_space"]["dimensions"], 2);
        let model = ["--embedding-model", "m1"];
        let base = remember(&store, &["deploys go out on tuesdays", "--embedding", "[1, 0]", model[0], model[1]]);
        let base_id = id_of(&base);

        let near = at_similarity(0.93);
        let merged = remember(&store, &["deploys happen every tuesday", "--tag", "ops", "--embedding", &near, model[0], model[1]]);
        assert_eq!(merged["action"], "deduplicated", "{merged}");
        assert!((merged["similarity"].as_f64().unwrap() - 0.93).abs() < 1e-3, "{merged}");
        assert_eq!(id_of(&merged), base_id);
        assert_eq!(merged["memory"]["content"], "deploys happen every tuesday");
        assert_eq!(merged["memory"]["version"], 2);

        let apart = at_similarity(0.90);
        let created = remember(&store, &["deploys are frozen in december", "--embedding", &apart, model[0], model[1]]);
        assert_eq!(created["action"], "created", "{created}");
        assert_ne!(id_of(&created), base_id);

        // --no-dedup inserts even an identical vector; a higher threshold keeps 0.93 apart too.
        let forced = remember(&store, &["deploys again", "--no-dedup", "--embedding", "[1, 0]", model[0], model[1]]);
        assert_eq!(forced["action"], "created");
        // 0.93 from [1, 0] on the other side, so only [1, 0] is that close.
        let mirrored = json!([0.93, -(1.0f64 - 0.93 * 0.93).sqrt()]).to_string();
        let strict = remember(&store, &["deploys strict", "--dedup-threshold", "0.95", "--embedding", &mirrored, model[0], model[1]]);
        assert_eq!(strict["action"], "created");
        assert_eq!(store.json(&["memory", "list"])["count"], 4);

        let recalled = store.json(&["memory", "recall", "--embedding", "[1, 0]", "--w-semantic", "1", "--w-keyword", "0", "--w-recency", "0", "--w-importance", "0", "--limit", "2"]);
        let top = &recalled["hits"][0];
        assert!((top["semantic"].as_f64().unwrap() - 1.0).abs() < 1e-4, "{top}");

        store.run(&["memory", "remember", "wrong length", "--embedding", "[1, 0, 0]", "--embedding-model", "m1"])
            .code(3).no_stdout().stderr_has("2 dimensions, 3 were given");
        store.run(&["memory", "space", "set", "--dimensions", "3"]).code(3).stderr_has("dimension");
        store.run(&["memory", "space", "show"]).ok().stdout_has("2 dimensions");
    }

    fn remembering_a_key_again_updates_that_memory(store) {
        ready(&store);
        let first = remember(&store, &["theme is solarized", "--key", "theme", "--user", "u1"]);
        assert_eq!(first["action"], "created");
        let second = remember(&store, &["theme is gruvbox", "--key", "theme", "--user", "u1"]);
        assert_eq!(second["action"], "updated_by_key");
        assert_eq!(id_of(&second), id_of(&first));
        assert_eq!((second["memory"]["version"].as_u64(), second["memory"]["content"].as_str()), (Some(2), Some("theme is gruvbox")));
        // Another scope holds its own key.
        let other = remember(&store, &["theme is nord", "--key", "theme", "--user", "u2"]);
        assert_eq!(other["action"], "created");
        let human = store.run(&["memory", "remember", "theme is dracula", "--key", "theme", "--user", "u1"]);
        human.ok().stdout_has("updated memory").stdout_has("(same key `theme`)");
        assert_eq!(store.json(&["memory", "list", "--user", "u1"])["count"], 1);
    }

    fn tenants_never_see_each_other(store) {
        ready(&store);
        let secret = remember(&store, &["the launch codename is bluebird", "--tenant", "acme"]);
        let id = id_of(&secret);
        assert_eq!(secret["memory"]["scope"]["tenant"], "acme");
        let other = store.json(&["memory", "recall", "bluebird", "--tenant", "globex"]);
        assert_eq!(other["hits"], json!([]));
        let filtered = store.json(&["memory", "recall", "bluebird", "--tenant", "globex", "--status", "active", "--status", "archived", "--where", r#"{"project": {"$ne": "x"}}"#]);
        assert_eq!(filtered["hits"], json!([]));
        store.run(&["memory", "get", &id, "--tenant", "globex"]).code(2).stderr_has("tenant `globex`");
        store.run(&["memory", "forget", &id, "--tenant", "globex"]).code(2);
        assert_eq!(store.json(&["memory", "list", "--tenant", "globex"])["count"], 0);
        // The default tenant is `default`, and the configuration picks another.
        assert_eq!(store.json(&["memory", "list"])["count"], 0);
        let mut configured = Store::new(store.backend, "tenants_never_see_each_other");
        for name in ["BRAINSTORE_DATA_DIR", "DATABASE_URL", "BRAINSTORE__POSTGRES__SCHEMA"] {
            if let Some(value) = store.env(name) {
                configured.set_env(name, value);
            }
        }
        configured.set_env("BRAINSTORE__TENANT", "acme");
        let found = configured.json(&["memory", "recall", "bluebird"]);
        assert_eq!(ids(&found, "hits", &["memory", "id"]), vec![id.clone()]);
        let shown = configured.json(&["config", "show"]);
        assert_eq!(shown["config"]["tenant"], "acme");
    }

    fn from_json_remembers_objects_and_names_the_bad_line(store) {
        ready(&store);
        let lines = [
            json!({"content": "standups are at 9:30", "kind": "fact", "tags": ["team"]}).to_string(),
            String::new(),
            json!({"content": "prefer small pull requests", "kind": "preference", "importance": 8, "scope": {"agent": "reviewer"}}).to_string(),
        ]
        .join("\n");
        let path = store.write("memories.jsonl", &lines);
        let report = store.json(&["memory", "remember", "--from-json", path.to_str().unwrap()]);
        assert_eq!((report["remembered"].as_u64(), report["created"].as_u64()), (Some(2), Some(2)));
        assert_eq!(report["results"][1]["memory"]["scope"], json!({"tenant": "default", "agent": "reviewer"}));
        // One pretty-printed object on standard input.
        let pretty = serde_json::to_string_pretty(&json!({"content": "the office closes at six"})).unwrap();
        let outcome = store.run_with_stdin(&["--json", "memory", "remember", "--from-json", "-"], Some(&pretty));
        outcome.ok();
        assert_eq!(outcome.json()["remembered"], 1);

        let bad = format!("{}\n{}\n", json!({"content": "fine"}), json!({"content": "too important", "importance": 11}));
        let path = store.write("bad.jsonl", &bad);
        let before = store.json(&["memory", "list"])["count"].clone();
        store.run(&["memory", "remember", "--from-json", path.to_str().unwrap()])
            .code(2).no_stdout().stderr_has("line 2: importance: must be between 1 and 10");
        assert_eq!(store.json(&["memory", "list"])["count"], before, "a bad file remembers nothing");
        let path = store.write("typo.jsonl", &json!({"contnt": "x"}).to_string());
        store.run(&["memory", "remember", "--from-json", path.to_str().unwrap()]).code(2).stderr_has("line 1: contnt: unknown field");
        let path = store.write("other.jsonl", &json!({"content": "x", "scope": {"tenant": "acme"}}).to_string());
        store.run(&["memory", "remember", "--from-json", path.to_str().unwrap()]).code(2).stderr_has("not this command's tenant");
    }

    fn bad_memory_input_exits_2_naming_the_flag(store) {
        // Refused before any store opens: the embedded folder is never created.
        let cases: &[(&[&str], &str)] = &[
            (&["memory", "get", "not-a-uuid"], "ID: `not-a-uuid` is not a UUID"),
            (&["memory", "remember", "x", "--importance", "11"], "--importance: must be between 1 and 10"),
            (&["memory", "remember", "x", "--metadata", "{"], "--metadata: not valid JSON"),
            (&["memory", "remember", "x", "--tier", "lukewarm"], "--tier: `lukewarm` is not one of hot, warm, cold"),
            (&["memory", "remember", "x", "--expires-at", "soon"], "--expires-at: `soon` is not a time"),
            (&["memory", "remember", "x", "--embedding", "[1, \"a\"]", "--embedding-model", "m"], "--embedding[1]: invalid type: string"),
            (&["memory", "remember", "x", "--dedup-threshold", "1.5"], "--dedup-threshold: must be between 0 and 1"),
            (&["memory", "remember", "   "], "CONTENT: must not be blank"),
            (&["memory", "recall", "x", "--status", "gone"], "--status: `gone` is not one of active, disputed, superseded, archived"),
            (&["memory", "recall", "x", "--weights", r#"{"semantc": 1}"#], "--weights: unknown field `semantc`"),
            (&["memory", "recall", "x", "--w-recency=-1"], "--w-recency: must be a number ≥ 0"),
            (&["memory", "recall", "x", "--where", r#"{"a": {"$near": 1}}"#], "--where"),
            (&["memory", "list", "--limit", "0"], "--limit: must be between 1 and 1000"),
            (&["memory", "list", "--tenant", ""], "--tenant: must be 1 to 200 bytes"),
            (&["memory", "supersede", "x", "new"], "OLD_ID: `x` is not a UUID"),
            (&["memory", "supersede", "00000000-0000-4000-8000-000000000000", " "], "NEW_CONTENT: must not be blank"),
            (&["memory", "stale", "purge"], "--yes: required"),
        ];
        for (args, message) in cases {
            store.run(args).code(2).no_stdout().stderr_has(message);
        }
        if store.backend == common::Backend::Embedded {
            assert!(!store.path("store").exists(), "a usage error opened the store");
        }
        // Before `init` the store is not ready (exit 3), and an embedding needs a memory space (exit 3).
        store.run(&["memory", "list"]).code(3).stderr_has("brainstore init");
        ready(&store);
        store.run(&["memory", "remember", "x", "--embedding", "[1, 0]", "--embedding-model", "m"]).code(3).stderr_has("memory");
        let unknown = "00000000-0000-4000-8000-000000000000";
        store.run(&["memory", "history", unknown]).code(2).stderr_has("was not found");
        store.run(&["memory", "archive", unknown]).code(2);
    }
}
