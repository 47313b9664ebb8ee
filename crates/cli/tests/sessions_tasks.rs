//! `brainstore session …` and `brainstore task …` end to end on both backends: a session with messages, artifacts, search and summary; the task cycle, retries to the dead letter, an empty claim, a lost lease; bad input.

mod common;

use std::time::Duration;

use serde_json::{Value, json};

use common::Store;

fn ready(store: &Store) {
    store.run(&["init"]).ok();
}

/// The string at `path`, where a numeric part indexes an array.
fn text<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .fold(value, |node, part| match part.parse::<usize>() {
            Ok(index) => &node[index],
            Err(_) => &node[*part],
        })
        .as_str()
        .unwrap_or_else(|| panic!("{path:?} in {value}"))
}

both_backends! {
    fn a_session_holds_messages_and_artifacts_and_finds_them(store) {
        ready(&store);
        let created = store.json(&["session", "create", "--id", "s1", "--title", "Planning", "--participant", "alice", "--metadata", r#"{"team": "infra"}"#]);
        assert_eq!((text(&created, &["session", "id"]), text(&created, &["session", "status"])), ("s1", "active"));
        assert_eq!(created["session"]["participants"], json!(["alice"]));

        let appended = store.json(&["session", "append", "s1", "--role", "user", "--id", "m1", "we should migrate the database to postgres"]);
        assert_eq!((appended["created"].as_bool(), appended["message"]["seq"].is_i64()), (Some(true), true));
        let again = store.json(&["session", "append", "s1", "--role", "user", "--id", "m1", "we should migrate the database to postgres"]);
        assert_eq!(again["created"], false, "the same message id adds nothing");
        // A long transcript from a file, with one rare word deep inside.
        let mut transcript = "assistant says routine things. ".repeat(4_000);
        transcript.push_str("then zanzibar came up. ");
        transcript.push_str(&"more routine talk. ".repeat(100));
        let path = store.write("transcript.txt", &transcript);
        store.json(&["session", "append", "s1", "--role", "assistant", "--format", "transcript", "--file", path.to_str().unwrap()]);
        store.run_with_stdin(&["session", "append", "s1", "--role", "tool", "--file", "-"], Some("tool output")).ok().stdout_has("appended message");

        let messages = store.json(&["session", "messages", "s1"]);
        assert_eq!(messages["count"], 3);
        let roles: Vec<&str> = messages["messages"].as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
        assert_eq!(roles, ["user", "assistant", "tool"]);
        assert_eq!(messages["messages"][1]["content"].as_str().map(str::len), Some(transcript.len()));
        let first_seq = messages["messages"][0]["seq"].as_i64().unwrap();
        let after = store.json(&["session", "messages", "s1", "--after", &first_seq.to_string(), "--limit", "1"]);
        assert_eq!((after["count"].as_u64(), text(&after, &["messages", "0", "role"])), (Some(1), "assistant"));
        assert_eq!(store.json(&["session", "messages", "s1", "--all"])["count"], 3);
        store.run(&["session", "messages", "s1", "--limit", "1"]).ok().stdout_has("] user").stdout_has("migrate the database");

        let found = store.json(&["session", "search", "migrate"]);
        assert_eq!(text(&found, &["hits", "0", "message", "id"]), "m1");
        assert!(found["hits"][0]["score"].as_f64().is_some());
        let rare = store.json(&["session", "search", "zanzibar", "--session", "s1"]);
        assert_eq!(text(&rare, &["hits", "0", "message", "role"]), "assistant");
        assert_eq!(store.json(&["session", "search", "zanzibar", "--session", "other"])["hits"], json!([]));

        let put = store.json(&["session", "artifact", "put", "s1", "--kind", "document", "--name", "plan.md", "--id", "a1", "--format", "markdown", "the rollout plan for kubernetes"]);
        assert_eq!(text(&put, &["artifact", "name"]), "plan.md");
        let got = store.json(&["session", "artifact", "get", "s1", "a1"]);
        assert_eq!(text(&got, &["artifact", "content"]), "the rollout plan for kubernetes");
        let listed = store.json(&["session", "artifact", "list", "s1"]);
        assert_eq!((listed["count"].as_u64(), listed["artifacts"][0]["content_bytes"].as_u64()), (Some(1), Some(31)));
        assert!(listed["artifacts"][0].get("content").is_none(), "listings leave contents out");
        let hits = store.json(&["session", "artifact", "search", "kubernetes"]);
        assert_eq!(text(&hits, &["hits", "0", "artifact", "id"]), "a1");
        store.run(&["session", "artifact", "get", "s1", "nope"]).code(2).stderr_has("artifact `nope`");

        let session = store.json(&["session", "get", "s1"]);
        assert_eq!((session["session"]["message_count"].as_u64(), session["session"]["artifact_count"].as_u64()), (Some(3), Some(1)));
        store.json(&["task", "enqueue", "review", "--session", "s1"]);
        let summary = store.json(&["session", "summary", "s1"]);
        assert!(summary["duration_seconds"].is_i64(), "{summary}");
        assert_eq!(summary["tasks_by_status"]["pending"], 1);
        assert_eq!(summary["session"]["task_count"], 1);
        store.run(&["session", "summary", "s1"]).ok().stdout_has("tasks by status:").stdout_has("pending 1");

        let done = store.json(&["session", "status", "s1", "completed"]);
        assert!(done["session"]["completed_at"].is_string(), "{done}");
        store.json(&["session", "create", "--id", "s2"]);
        let completed = store.json(&["session", "list", "--status", "completed"]);
        assert_eq!((completed["count"].as_u64(), text(&completed, &["sessions", "0", "id"])), (Some(1), "s1"));
        store.run(&["session", "list"]).ok().stdout_has("Planning").stdout_has("s2");

        let agent = store.json(&["session", "agent", "register", "w1", "--kind", "code", "--capability", "rust"]);
        assert_eq!(text(&agent, &["agent", "status"]), "available");
        store.json(&["session", "agent", "heartbeat", "w1", "--status", "busy"]);
        let agents = store.json(&["session", "agent", "list", "--status", "busy"]);
        assert_eq!((agents["count"].as_u64(), text(&agents, &["agents", "0", "name"])), (Some(1), "w1"));

        // Another tenant sees none of it.
        store.run(&["session", "get", "s1", "--tenant", "globex"]).code(2).stderr_has("session `s1` in tenant `globex`");
        assert_eq!(store.json(&["session", "search", "migrate", "--tenant", "globex"])["hits"], json!([]));
        store.run(&["session", "messages", "s1", "--tenant", "globex"]).code(2);
    }

    fn a_task_is_enqueued_claimed_and_completed(store) {
        ready(&store);
        let enqueued = store.json(&["task", "enqueue", "build", "--payload", r#"{"crate": "cli"}"#, "--priority", "5", "--dedup-key", "build-cli"]);
        assert_eq!((enqueued["created"].as_bool(), text(&enqueued, &["task", "status"])), (Some(true), "pending"));
        let id = text(&enqueued, &["task", "id"]).to_owned();
        let again = store.json(&["task", "enqueue", "build", "--dedup-key", "build-cli"]);
        assert_eq!((again["created"].as_bool(), text(&again, &["task", "id"])), (Some(false), id.as_str()));
        store.json(&["task", "enqueue", "lint", "--priority", "-1"]);

        let claimed = store.json(&["task", "claim", "--agent", "w1", "--kind", "build", "--lease", "60"]);
        assert_eq!((text(&claimed, &["task", "id"]), text(&claimed, &["task", "status"])), (id.as_str(), "running"));
        assert_eq!(claimed["task"]["payload"], json!({"crate": "cli"}));
        let lease = text(&claimed, &["task", "lease_id"]).to_owned();
        let extended = store.json(&["task", "heartbeat", &id, "--lease-id", &lease, "--lease", "120"]);
        assert_eq!(text(&extended, &["task", "status"]), "running");

        let none = store.run(&["--json", "task", "claim", "--agent", "w1", "--kind", "build"]);
        assert_eq!(none.ok().json(), json!({"task": null}), "nothing eligible is not an error");
        store.run(&["task", "claim", "--agent", "w1", "--kind", "build"]).ok().stdout_has("no task");

        let completed = store.json(&["task", "complete", &id, "--lease-id", &lease, "--result", r#"{"ok": true}"#]);
        assert_eq!((text(&completed, &["task", "status"]), &completed["task"]["result"]), ("completed", &json!({"ok": true})));
        store.run(&["task", "cancel", &id]).code(3).no_stdout().stderr_has("conflict");

        let stats = store.json(&["task", "stats"]);
        assert_eq!(stats["counts"], json!({"pending": 1, "running": 0, "completed": 1, "dead_letter": 0, "cancelled": 0}));
        assert_eq!(stats["total"], 2);
        let listed = store.json(&["task", "list", "--status", "completed"]);
        assert_eq!((listed["count"].as_u64(), text(&listed, &["tasks", "0", "id"])), (Some(1), id.as_str()));
        let got = store.json(&["task", "get", &id]);
        assert_eq!(text(&got, &["task", "claimed_by"]), "w1");
        store.run(&["task", "list"]).ok().stdout_has("build").stdout_has("lint");
        store.run(&["task", "stats"]).ok().stdout_has("dead_letter");
        let lint = store.json(&["task", "list", "--kind", "lint"]);
        let lint_id = text(&lint, &["tasks", "0", "id"]).to_owned();
        let cancelled = store.json(&["task", "cancel", &lint_id]);
        assert_eq!(text(&cancelled, &["task", "status"]), "cancelled");
        store.run(&["task", "get", &id, "--tenant", "globex"]).code(2).stderr_has("was not found");
    }

    fn failed_attempts_retry_then_dead_letter(store) {
        ready(&store);
        let enqueued = store.json(&["task", "enqueue", "flaky", "--max-attempts", "2", "--retry-backoff", "0"]);
        let id = text(&enqueued, &["task", "id"]).to_owned();
        for (attempt, status) in [(1, "pending"), (2, "dead_letter")] {
            let claimed = store.json(&["task", "claim", "--agent", "w1"]);
            assert_eq!(text(&claimed, &["task", "id"]), id, "attempt {attempt}");
            let lease = text(&claimed, &["task", "lease_id"]).to_owned();
            let failed = store.json(&["task", "fail", &id, "--lease-id", &lease, "--error", &format!("boom {attempt}")]);
            assert_eq!((text(&failed, &["task", "status"]), failed["task"]["attempts"].as_u64()), (status, Some(attempt)));
        }
        let dead = store.json(&["task", "get", &id]);
        assert_eq!(text(&dead, &["task", "last_error"]), "boom 2");
        assert_eq!(store.json(&["task", "stats"])["counts"]["dead_letter"], 1);
        assert_eq!(store.json(&["task", "claim", "--agent", "w1"]), json!({"task": null}));
    }

    fn a_lost_lease_is_a_conflict(store) {
        ready(&store);
        let id = text(&store.json(&["task", "enqueue", "job"]), &["task", "id"]).to_owned();
        let first = store.json(&["task", "claim", "--agent", "w1", "--lease", "0.2"]);
        let first_lease = text(&first, &["task", "lease_id"]).to_owned();
        std::thread::sleep(Duration::from_millis(400));
        let second = store.json(&["task", "claim", "--agent", "w2"]);
        assert_eq!(text(&second, &["task", "id"]), id, "an expired lease makes the task claimable again");
        let second_lease = text(&second, &["task", "lease_id"]).to_owned();
        assert_ne!(first_lease, second_lease);
        store.run(&["task", "complete", &id, "--lease-id", &first_lease]).code(3).no_stdout().stderr_has("conflict");
        store.run(&["task", "heartbeat", &id, "--lease-id", &first_lease]).code(3).stderr_has("conflict");
        store.run(&["task", "fail", &id, "--lease-id", &first_lease, "--error", "late"]).code(3);
        let done = store.json(&["task", "complete", &id, "--lease-id", &second_lease]);
        assert_eq!(text(&done, &["task", "claimed_by"]), "w2");
    }

    fn bad_session_and_task_input_exits_2_naming_the_flag(store) {
        let uuid = "00000000-0000-4000-8000-000000000000";
        let cases: &[(&[&str], &str)] = &[
            (&["task", "complete", "nope", "--lease-id", uuid], "ID: `nope` is not a UUID"),
            (&["task", "complete", uuid, "--lease-id", "nope"], "--lease-id: `nope` is not a UUID"),
            (&["task", "enqueue", "k", "--payload", "{"], "--payload: not valid JSON"),
            (&["task", "enqueue", "k", "--max-attempts", "0"], "--max-attempts: must be between 1 and 100"),
            (&["task", "enqueue", "k", "--not-before", "later"], "--not-before: `later` is not a time"),
            (&["task", "list", "--status", "done"], "--status: `done` is not one of pending, running, completed, dead_letter, cancelled"),
            (&["task", "claim", "--agent", "w", "--lease", "0"], "--lease: must be between 0.001 and 86400 seconds"),
            (&["task", "fail", uuid, "--lease-id", uuid, "--error", " "], "--error: must say what went wrong"),
            (&["session", "status", "s1", "finished"], "STATUS: `finished` is not one of active, paused, completed"),
            (&["session", "append", "s1", "--role", "robot", "hi"], "--role: `robot` is not one of user, assistant, system, tool"),
            (&["session", "create", "--metadata", "[]"], "--metadata: must be a JSON object"),
            (&["session", "messages", "s1", "--limit", "5000"], "--limit: must be between 1 and 1000"),
            (&["session", "search", "  "], "QUERY: must hold at least one word"),
            (&["session", "agent", "heartbeat", "w", "--status", "asleep"], "--status: `asleep` is not one of"),
        ];
        for (args, message) in cases {
            store.run(args).code(2).no_stdout().stderr_has(message);
        }
        if store.backend == common::Backend::Embedded {
            assert!(!store.path("store").exists(), "a usage error opened the store");
        }
        ready(&store);
        store.run(&["task", "get", uuid]).code(2).stderr_has(&format!("task {uuid} in tenant `default` was not found"));
        store.run(&["session", "get", "missing"]).code(2).stderr_has("session `missing`");
        store.run(&["session", "append", "missing", "--role", "user", "hi"]).code(2).stderr_has("not found");
        store.run(&["session", "agent", "heartbeat", "ghost"]).code(2);
        store.run(&["task", "complete", uuid, "--lease-id", uuid]).code(2);
    }
}
