//! Every route of `brainstore serve` called over HTTP on both backends, in an agent's order; the routes called must be exactly the ones `/openapi.json` documents.
#![cfg(feature = "server")] // `serve` exists only in builds with the HTTP server

mod common;
mod serve_harness;

use serde_json::{Value, json};
use serve_harness::{Server, fixture_chunks};

serve_tests! {
    async fn every_route_answers_as_documented(server) {
        health(&server).await;
        documents(&server).await;
        memories(&server).await;
        sessions(&server).await;
        tasks(&server).await;
        embeddings(&server).await;
        let doc = server.call("GET", "/openapi.json", &[], None).await;
        let documented = operations(doc.status(200));
        let called = server.called();
        let missing: Vec<_> = documented.difference(&called).collect();
        let undocumented: Vec<_> = called.difference(&documented).collect();
        assert!(missing.is_empty(), "documented routes this tour did not call: {missing:?}");
        assert!(undocumented.is_empty(), "routes called that /openapi.json does not list: {undocumented:?}");
        assert_eq!(server.stop(), 0, "serve exits 0 on SIGTERM\n{}", server.log());
    }
}

/// `(METHOD, path)` of every operation in an OpenAPI document.
fn operations(doc: &Value) -> std::collections::BTreeSet<(String, String)> {
    let mut out = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            out.insert((method.to_uppercase(), path.clone()));
        }
    }
    out
}

/// `brainstore serve` attaches no embedder until the configuration gains an `embedding:` section, so the
/// route says which keys it needs instead of embedding.
async fn embeddings(server: &Server) {
    let body = json!({"model": "all-MiniLM-L6-v2", "input": ["the quick brown fox"]});
    let reply = server.call("POST", "/v1/embeddings", &[], Some(body)).await;
    reply.error(503, "not_configured", &["embedding.provider"]);
}

async fn health(server: &Server) {
    assert_eq!(server.call("GET", "/health", &[], None).await.status(200), &json!({"status": "ok"}));
    let status = server.call("GET", "/health/status", &[], None).await;
    let status = status.status(200);
    let backend = status["backend"].as_str().expect("backend");
    let expected = if server.store.backend == common::Backend::Postgres { "postgres" } else { "embedded" };
    assert_eq!(backend, expected, "the server runs on the backend under test");
    assert_eq!(status["initialized"], true, "serve migrates the store at start-up: {status}");
    assert_eq!(status["status"], "healthy");
    assert!(status["versions"].as_object().is_some_and(|v| !v.is_empty()), "{status}");
    let postgres = server.call("GET", "/health/postgres", &[], None).await;
    if backend == "postgres" {
        let body = postgres.status(200);
        assert_eq!(body["status"], "healthy");
        for key in ["pool_size", "checked_in", "checked_out", "overflow", "total"] {
            assert!(body["pool"][key].is_u64(), "pool.{key}: {body}");
        }
        let pool = &body["pool"];
        assert_eq!(
            pool["total"].as_u64(),
            Some(pool["pool_size"].as_u64().unwrap_or(0) + pool["overflow"].as_u64().unwrap_or(0))
        );
        assert!(body["database"]["version"].as_str().is_some_and(|v| !v.is_empty()), "{body}");
        assert!(body["database"]["pgvector_version"].as_str().is_some_and(|v| v.starts_with("0.")), "{body}");
        assert!(body["database"]["port"].as_u64().is_some_and(|p| p > 0), "{body}");
        assert!(body["database"]["host"].is_string() && body["database"]["database"].is_string(), "{body}");
        assert!(status["pool"].is_object(), "/health/status carries the pool on postgres: {status}");
    } else {
        postgres.error(400, "unsupported", &["only available", "postgres", "embedded"]);
    }
}

async fn documents(server: &Server) {
    let c = [("collection", "docs")];
    assert_eq!(server.call("GET", "/collections", &[], None).await.status(200)["collections"], json!([]));
    let create = json!({"name": "docs", "embedding": {"dimensions": 3, "provider": "test", "model": "one-hot"}});
    let created = server.call("POST", "/collections", &[], Some(create.clone())).await;
    assert_eq!(created.status(201)["embedding_space"]["dimensions"], 3);
    server.call("POST", "/collections", &[], Some(create)).await.status(200);
    assert_eq!(server.call("GET", "/collections/{collection}", &c, None).await.status(200)["count"], 0);

    let mut chunks = fixture_chunks();
    let last = chunks.pop().expect("four chunks");
    let sent_ids: Vec<Value> = chunks.iter().map(|chunk| chunk["id"].clone()).collect();
    let upsert = server.call("POST", "/collections/{collection}/documents", &c, Some(Value::Array(chunks))).await;
    assert_eq!(upsert.status(200), &json!({"inserted": 3, "updated": 0, "duplicates_in_batch": 0, "ids": sent_ids}));
    let wrapped = json!({"chunks": [last.clone(), last.clone()]});
    let upsert = server.call("POST", "/collections/{collection}/documents", &c, Some(wrapped)).await;
    let last_id = last["id"].clone();
    assert_eq!(
        upsert.status(200),
        &json!({"inserted": 1, "updated": 0, "duplicates_in_batch": 1, "ids": [last_id.clone(), last_id]})
    );

    let chunk = server.call("GET", "/collections/{collection}/documents/{id}", &[c[0], ("id", "a")], None).await;
    let chunk = chunk.status(200);
    assert_eq!(
        (chunk["text"].as_str(), chunk["embedding"].clone()),
        (Some("the quick brown fox"), json!([1.0, 0.0, 0.0]))
    );
    assert_eq!(chunk["metadata"]["year"], 2020);
    // One view type: `brainstore get --json` prints exactly what the route returns for the same chunk.
    let printed = server.store.json(&["--collection", "docs", "get", "a"]);
    assert_eq!(&printed, chunk, "the command line and the HTTP API show a chunk alike");

    let query = |body: Value| server.call("POST", "/collections/{collection}/query", &c, Some(body));
    let vector = query(json!({"embedding": [0.0, 1.0, 0.0], "top_k": 2})).await;
    let vector = vector.status(200);
    assert_eq!((vector["mode"].as_str(), vector["results"][0]["id"].as_str()), (Some("vector"), Some("b")));
    assert!(vector["results"][0]["distance"].is_number(), "{vector}");
    let keyword = query(json!({"text": "fox", "where": {"kind": "animal"}})).await;
    let ids: Vec<&str> =
        keyword.status(200)["results"].as_array().expect("results").iter().filter_map(|h| h["id"].as_str()).collect();
    assert_eq!((keyword.body["mode"].as_str(), ids.len()), (Some("keyword"), 2), "{}", keyword.body);
    let printed = server.store.json(&["--collection", "docs", "search", "fox", "--where", r#"{"kind": "animal"}"#]);
    assert_eq!(printed["results"], keyword.body["results"], "the command line and the HTTP API show hits alike");
    // Any word matches by default; `match: all` needs every one (only d holds both).
    let any = query(json!({"text": "fox dog", "mode": "keyword"})).await;
    assert_eq!(any.status(200)["results"].as_array().map(Vec::len), Some(3), "{}", any.body);
    let all = query(json!({"text": "fox dog", "mode": "keyword", "match": "all"})).await;
    let ids: Vec<&str> =
        all.status(200)["results"].as_array().expect("results").iter().filter_map(|h| h["id"].as_str()).collect();
    assert_eq!(ids, ["d"], "{}", all.body);
    query(json!({"text": "fox", "match": "some"})).await.error(422, "invalid_input", &["match"]);
    let hybrid = query(json!({"text": "fox", "embedding": [1.0, 0.0, 0.0], "explain": true,
        "fusion": {"method": "rrf", "rrf_k": 10}, "where_document": {"$contains": "fox"}, "min_score": 0.1}))
    .await;
    let hybrid = hybrid.status(200);
    assert_eq!(hybrid["mode"], "hybrid");
    assert_eq!(hybrid["results"][0]["id"], "a", "{hybrid}");
    assert!(hybrid["results"][0]["vector_rank"].is_u64() && hybrid["results"][0]["keyword_rank"].is_u64(), "{hybrid}");
    assert_eq!(hybrid["results"][0]["matched_terms"], json!(["fox"]));

    let count = server.call("GET", "/collections/{collection}/count", &c, None).await;
    assert_eq!(count.status(200), &json!({"count": 4}));
    let filtered =
        server.call("GET", "/collections/{collection}/count?where=%7B%22kind%22%3A%22code%22%7D", &c, None).await;
    assert_eq!(filtered.status(200), &json!({"count": 1}));

    // A chunk sent without an id gets one, read back with `a` in one call by ids in the body.
    let unnamed = json!([{"text": "no id given", "metadata": {"kind": "note"}, "embedding": [0.0, 0.0, 1.0]}]);
    let upsert = server.call("POST", "/collections/{collection}/documents", &c, Some(unnamed)).await;
    let generated = upsert.status(200)["ids"][0].as_str().expect("a generated id").to_owned();
    let got = server
        .call(
            "POST",
            "/collections/{collection}/get",
            &c,
            Some(json!({"ids": [generated, "a", "missing"], "include": ["text", "embeddings"]})),
        )
        .await;
    let got = got.status(200);
    assert_eq!(got["chunks"][0]["text"], "no id given", "{got}");
    assert_eq!(
        (got["chunks"][1]["id"].as_str(), got["chunks"][1]["embedding"].clone()),
        (Some("a"), json!([1.0, 0.0, 0.0]))
    );
    assert_eq!(got["chunks"].as_array().map(Vec::len), Some(2), "a missing id is absent: {got}");
    let listed = server
        .call(
            "POST",
            "/collections/{collection}/get",
            &c,
            Some(json!({"where": {"kind": "note"}, "include": ["metadata"]})),
        )
        .await;
    assert_eq!(listed.status(200)["chunks"][0]["metadata"], json!({"kind": "note"}));
    let with_vectors = query(json!({"embedding": [0.0, 1.0, 0.0], "top_k": 1, "include": ["embeddings"]})).await;
    assert_eq!(with_vectors.status(200)["results"][0]["embedding"], json!([0.0, 1.0, 0.0]));

    let delete = |body: Value| server.call("DELETE", "/collections/{collection}/documents", &c, Some(body));
    assert_eq!(delete(json!({"ids": ["c", "missing"]})).await.status(200), &json!({"deleted": 1}));
    assert_eq!(delete(json!({"where": {"path": {"$prefix": "docs/"}}})).await.status(200), &json!({"deleted": 3}));
    let emptied = server.call("POST", "/collections/{collection}/delete_all", &c, None).await;
    assert_eq!(emptied.status(200), &json!({"deleted": 1}), "the chunk without a path was left");
    let listed = server.call("GET", "/collections", &[], None).await;
    assert_eq!(listed.status(200)["collections"][0]["count"], 0);
    let dropped = server.call("DELETE", "/collections/{collection}", &c, None).await;
    assert_eq!(dropped.status(200), &json!({"dropped": true}));
    server.call("GET", "/collections/{collection}", &c, None).await.error(404, "not_found", &["docs"]);
}

async fn memories(server: &Server) {
    let t = ("tenant", "acme");
    let tp = [t];
    let space = server.call("GET", "/memories/embedding-space", &[], None).await;
    assert_eq!(space.status(200), &json!({"embedding_space": null}));
    let put = server.call("PUT", "/memories/embedding-space", &[], Some(json!({"dimensions": 3, "model": "m1"}))).await;
    assert_eq!(put.status(200)["embedding_space"]["dimensions"], 3);

    let remember = |body: Value| server.call("POST", "/tenants/{tenant}/memories", &tp, Some(body));
    let first = remember(json!({"content": "the deploy target is kubernetes", "key": "deploy", "kind": "decision",
        "tags": ["ops"], "embedding": [1.0, 0.0, 0.0], "embedding_model": "m1", "scope": {"agent": "bot"}}))
    .await;
    let first = first.status(201);
    assert_eq!(
        (first["action"].as_str(), first["memory"]["scope"]["tenant"].as_str()),
        (Some("created"), Some("acme"))
    );
    let id = first["memory"]["id"].as_str().expect("an id").to_owned();
    let again = remember(json!({"content": "the deploy target is nomad", "key": "deploy", "kind": "decision",
        "scope": {"agent": "bot"}, "actor": "tour", "reason": "changed"}))
    .await;
    assert_eq!(again.status(200)["action"], "updated_by_key");
    assert_eq!(again.body["memory"]["version"], 2);
    remember(json!({"content": "coffee at nine", "kind": "preference", "dedup": false})).await.status(201);

    let listed = server.call("GET", "/tenants/{tenant}/memories?kinds=decision&limit=10", &[t], None).await;
    assert_eq!(listed.status(200)["memories"].as_array().map(Vec::len), Some(1), "{}", listed.body);
    let recall = server
        .call("POST", "/tenants/{tenant}/memories/recall", &[t], Some(json!({"text": "nomad", "limit": 5})))
        .await;
    assert_eq!(recall.status(200)["hits"][0]["memory"]["id"], id.as_str());
    assert!(recall.body["hits"][0]["score"].is_number());

    let m = [t, ("id", id.as_str())];
    assert_eq!(
        server.call("GET", "/tenants/{tenant}/memories/{id}", &m, None).await.status(200)["content"],
        "the deploy target is nomad"
    );
    let superseded = server
        .call(
            "POST",
            "/tenants/{tenant}/memories/{id}/supersede",
            &m,
            Some(json!({"content": "the deploy target is fly.io", "kind": "decision", "actor": "tour"})),
        )
        .await;
    let superseded = superseded.status(200);
    assert_eq!(superseded["old"]["status"], "superseded");
    let new_id = superseded["new"]["id"].as_str().expect("the new id").to_owned();
    assert_eq!(superseded["new"]["supersedes"], id.as_str());
    let n = [t, ("id", new_id.as_str())];
    let disputed = server.call("POST", "/tenants/{tenant}/memories/{id}/dispute", &n, None).await;
    assert_eq!(disputed.status(200)["status"], "disputed");
    let archived = server
        .call("POST", "/tenants/{tenant}/memories/{id}/archive", &n, Some(json!({"actor": "tour", "reason": "old"})))
        .await;
    assert_eq!(archived.status(200)["status"], "archived");
    let history = server.call("GET", "/tenants/{tenant}/memories/{id}/history", &m, None).await;
    let actions: Vec<&str> = history.status(200)["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions.first(), Some(&"created"), "{actions:?}");
    assert!(actions.len() >= 3, "{actions:?}");
    let created_at = first["memory"]["created_at"].as_str().expect("created_at").replace('+', "%2B");
    let as_of =
        server.call("GET", &format!("/tenants/{{tenant}}/memories/{{id}}/as-of?at={created_at}"), &m, None).await;
    assert_eq!(as_of.status(200)["content"], "the deploy target is kubernetes");
    let forgotten = server.call("DELETE", "/tenants/{tenant}/memories/{id}?actor=tour", &n, None).await;
    assert_eq!(forgotten.status(200), &json!({"id": new_id, "forgotten": true}));
    server.call("GET", "/tenants/{tenant}/memories/{id}", &n, None).await.error(404, "not_found", &[&new_id]);
}

async fn sessions(server: &Server) {
    let t = ("tenant", "acme");
    let s = [t, ("session", "s1")];
    let created = server
        .call(
            "POST",
            "/tenants/{tenant}/sessions",
            &[t],
            Some(json!({"id": "s1", "title": "release", "participants": ["bot"]})),
        )
        .await;
    assert_eq!(created.status(201)["title"], "release");
    server.call("POST", "/tenants/{tenant}/sessions", &[t], Some(json!({"id": "s1"}))).await.status(200);
    assert_eq!(
        server.call("GET", "/tenants/{tenant}/sessions?statuses=active", &[t], None).await.status(200)["sessions"][0]["id"],
        "s1"
    );
    let message = json!({"id": "m1", "role": "user", "content": "deploy the rust service tonight"});
    let appended =
        server.call("POST", "/tenants/{tenant}/sessions/{session}/messages", &s, Some(message.clone())).await;
    assert_eq!(appended.status(201)["created"], true);
    let again = server.call("POST", "/tenants/{tenant}/sessions/{session}/messages", &s, Some(message)).await;
    assert_eq!(again.status(200)["created"], false);
    let messages = server.call("GET", "/tenants/{tenant}/sessions/{session}/messages?limit=10", &s, None).await;
    assert_eq!(messages.status(200)["messages"][0]["seq"].as_i64().map(|seq| seq > 0), Some(true), "{}", messages.body);
    let hits = server.call("GET", "/tenants/{tenant}/messages/search?q=rust", &[t], None).await;
    assert_eq!(hits.status(200)["hits"][0]["message"]["id"], "m1");
    let printed = server.store.json(&["session", "search", "rust", "--tenant", "acme"]);
    assert_eq!(printed, hits.body, "the command line and the HTTP API show message hits alike");
    let artifact = json!({"id": "a1", "kind": "report", "name": "release notes", "content": "kubernetes rollout plan", "format": "markdown"});
    assert_eq!(
        server.call("POST", "/tenants/{tenant}/sessions/{session}/artifacts", &s, Some(artifact)).await.status(200)["id"],
        "a1"
    );
    assert_eq!(
        server.call("GET", "/tenants/{tenant}/sessions/{session}/artifacts", &s, None).await.status(200)["artifacts"]
            [0]["name"],
        "release notes"
    );
    let one = server
        .call("GET", "/tenants/{tenant}/sessions/{session}/artifacts/{artifact}", &[t, s[1], ("artifact", "a1")], None)
        .await;
    assert_eq!(one.status(200)["format"], "markdown");
    let found = server.call("GET", "/tenants/{tenant}/artifacts/search?q=rollout&session_id=s1", &[t], None).await;
    assert_eq!(found.status(200)["hits"][0]["artifact"]["id"], "a1");
    let printed =
        server.store.json(&["session", "artifact", "search", "rollout", "--session", "s1", "--tenant", "acme"]);
    assert_eq!(printed, found.body, "the command line and the HTTP API show artifact hits alike");
    let session = server.call("GET", "/tenants/{tenant}/sessions/{session}", &s, None).await;
    assert_eq!(
        (session.status(200)["message_count"].as_u64(), session.body["artifact_count"].as_u64()),
        (Some(1), Some(1))
    );
    let completed = server
        .call("POST", "/tenants/{tenant}/sessions/{session}/status", &s, Some(json!({"status": "completed"})))
        .await;
    assert!(completed.status(200)["completed_at"].is_string());
    let summary = server.call("GET", "/tenants/{tenant}/sessions/{session}/summary", &s, None).await;
    assert!(summary.status(200)["duration_seconds"].is_i64());
    let agent = server
        .call(
            "POST",
            "/tenants/{tenant}/agents",
            &[t],
            Some(json!({"name": "bot", "kind": "code", "capabilities": ["rust"]})),
        )
        .await;
    assert_eq!(agent.status(200)["status"], "available");
    assert_eq!(
        server.call("GET", "/tenants/{tenant}/agents", &[t], None).await.status(200)["agents"][0]["name"],
        "bot"
    );
    let beat = server
        .call(
            "POST",
            "/tenants/{tenant}/agents/{name}/heartbeat",
            &[t, ("name", "bot")],
            Some(json!({"status": "busy"})),
        )
        .await;
    assert_eq!(beat.status(200)["status"], "busy");
}

async fn tasks(server: &Server) {
    let t = ("tenant", "acme");
    let tp = [t];
    let enqueue = |body: Value| server.call("POST", "/tenants/{tenant}/tasks", &tp, Some(body));
    let build = json!({"kind": "build", "payload": {"repo": "brainstore"}, "priority": 5, "dedup_key": "build-1"});
    let first = enqueue(build.clone()).await;
    assert_eq!(first.status(201)["created"], true);
    assert_eq!(enqueue(build).await.status(200)["created"], false);
    let claim = |agent: &str| {
        server.call("POST", "/tenants/{tenant}/tasks/claim", &tp, Some(json!({"agent": agent, "lease_ms": 60_000})))
    };
    let claimed = claim("bot").await;
    let task = claimed.status(200)["task"].clone();
    assert_eq!((task["status"].as_str(), task["claimed_by"].as_str()), (Some("running"), Some("bot")), "{task}");
    let (id, lease) =
        (task["id"].as_str().expect("id").to_owned(), task["lease_id"].as_str().expect("lease").to_owned());
    let k = [t, ("id", id.as_str())];
    let beat = server
        .call(
            "POST",
            "/tenants/{tenant}/tasks/{id}/heartbeat",
            &k,
            Some(json!({"lease_id": lease, "lease_ms": 30_000})),
        )
        .await;
    assert_eq!(beat.status(200)["status"], "running");
    let done = server
        .call(
            "POST",
            "/tenants/{tenant}/tasks/{id}/complete",
            &k,
            Some(json!({"lease_id": lease, "result": {"ok": true}})),
        )
        .await;
    assert_eq!(
        (done.status(200)["status"].as_str(), done.body["result"].clone()),
        (Some("completed"), json!({"ok": true}))
    );
    server
        .call("POST", "/tenants/{tenant}/tasks/{id}/heartbeat", &k, Some(json!({"lease_id": lease, "lease_ms": 1000})))
        .await
        .error(409, "conflict", &[]);
    assert_eq!(claim("bot").await.status(200), &json!({"task": null}));

    enqueue(json!({"kind": "test", "max_attempts": 2, "retry_backoff_ms": 0})).await.status(201);
    let second = claim("bot").await.status(200)["task"].clone();
    let (id2, lease2) =
        (second["id"].as_str().expect("id").to_owned(), second["lease_id"].as_str().expect("lease").to_owned());
    let failed = server
        .call(
            "POST",
            "/tenants/{tenant}/tasks/{id}/fail",
            &[t, ("id", &id2)],
            Some(json!({"lease_id": lease2, "error": "flaky"})),
        )
        .await;
    assert_eq!(
        (failed.status(200)["status"].as_str(), failed.body["last_error"].as_str()),
        (Some("pending"), Some("flaky"))
    );
    let cancelled = server.call("POST", "/tenants/{tenant}/tasks/{id}/cancel", &[t, ("id", &id2)], None).await;
    assert_eq!(cancelled.status(200)["status"], "cancelled");
    server.call("POST", "/tenants/{tenant}/tasks/{id}/cancel", &[t, ("id", &id2)], None).await.error(
        409,
        "conflict",
        &[],
    );
    assert_eq!(server.call("GET", "/tenants/{tenant}/tasks/{id}", &k, None).await.status(200)["id"], id.as_str());
    let listed = server.call("GET", "/tenants/{tenant}/tasks?statuses=completed,cancelled", &[t], None).await;
    assert_eq!(listed.status(200)["tasks"].as_array().map(Vec::len), Some(2));
    let stats = server.call("GET", "/tenants/{tenant}/tasks/stats", &[t], None).await;
    let counts = &stats.status(200)["counts"];
    assert_eq!(
        (counts["completed"].as_u64(), counts["cancelled"].as_u64(), counts["pending"].as_u64()),
        (Some(1), Some(1), Some(0)),
        "{counts}"
    );
}
