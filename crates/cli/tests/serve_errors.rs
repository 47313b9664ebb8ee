//! The 4xx answers of `brainstore serve` on both backends: bad JSON, wrong shapes, wrong vector length, unknown filter operators, empty delete filters, unknown records and routes — each in the `{"error": {"code", "message"}}` shape.
#![cfg(feature = "server")] // `serve` exists only in builds with the HTTP server

mod common;
mod serve_harness;

use serde_json::{Value, json};
use serve_harness::{Server, TOKEN, fixture_chunks};

/// A server with collection `docs` (3 dimensions) holding the four fixture chunks.
async fn seeded(server: &Server) {
    let create = json!({"name": "docs", "embedding": {"dimensions": 3}});
    server.call("POST", "/collections", &[], Some(create)).await.status(201);
    let upsert = server
        .call(
            "POST",
            "/collections/{collection}/documents",
            &[("collection", "docs")],
            Some(Value::Array(fixture_chunks())),
        )
        .await;
    upsert.status(200);
}

const C: [(&str, &str); 1] = [("collection", "docs")];

serve_tests! {
    async fn malformed_bodies_are_400_415_or_422(server) {
        seeded(&server).await;
        let post = |path: &'static str, content_type: &'static str, body: &'static str| {
            server.raw("POST", path, move |r| r.bearer_auth(TOKEN).header("content-type", content_type).body(body))
        };
        post("/collections/docs/query", "application/json", "{\"text\": ").await.error(400, "invalid_input", &["not valid JSON"]);
        post("/collections/docs/documents", "application/json", "[{\"id\": \"x\",}]").await.error(400, "invalid_input", &["not valid JSON"]);
        post("/collections/docs/query", "text/plain", "{\"text\": \"fox\"}").await.error(415, "invalid_input", &["application/json"]);
        post("/collections/docs/query", "application/json", "{\"text\": \"fox\", \"top_k\": \"ten\"}").await.error(422, "invalid_input", &["top_k"]);
        post("/collections/docs/query", "application/json", "{\"txt\": \"fox\"}").await.error(422, "invalid_input", &["txt"]);
        post("/tenants/acme/tasks", "application/json", "{\"payload\": {}}").await.error(422, "invalid_input", &["kind"]);
        let upsert = |body: Value| server.call("POST", "/collections/{collection}/documents", &C, Some(body));
        upsert(json!({"rows": []})).await.error(400, "invalid_input", &["rows"]);
        upsert(json!([])).await.error(400, "invalid_input", &["at least one"]);
        upsert(json!([{"id": "x", "embedding": [1.0, "two", 3.0]}])).await.error(400, "invalid_input", &["chunks[0]"]);
        upsert(json!([{"id": "x", "embeddings": [1.0, 0.0, 0.0]}])).await.error(400, "invalid_input", &["embeddings"]);
        upsert(json!([{"id": "", "text": "no id"}])).await.error(400, "invalid_input", &["id"]);
        let query = |body: Value| server.call("POST", "/collections/{collection}/query", &C, Some(body));
        query(json!({"text": "fox", "top_k": 0})).await.error(400, "invalid_input", &["top_k"]);
        query(json!({"text": "fox", "min_score": 2.0})).await.error(400, "invalid_input", &["min_score"]);
        query(json!({"mode": "vector"})).await.error(400, "invalid_input", &["embedding"]);
        // Text alone is embedded only into a space that names a provider; this one names none.
        query(json!({"mode": "vector", "text": "fox"}))
            .await
            .error(409, "incompatible_state", &["an embedding provider for the space", "`POST /collections`"]);
        query(json!({"mode": "hybrid", "text": "fox", "embedding": [1.0, 0.0, 0.0], "fusion": {"vector_weight": -1.0}})).await
            .error(400, "invalid_input", &["vector_weight"]);
        let bad_name = server.call("POST", "/collections", &[], Some(json!({"name": "My-Docs"}))).await;
        bad_name.error(400, "invalid_input", &["name", "My-Docs"]);
        // Nothing was written by any of them.
        assert_eq!(server.call("GET", "/collections/{collection}/count", &C, None).await.status(200)["count"], 4);
    }

    async fn a_wrong_vector_length_is_409_naming_both_numbers(server) {
        seeded(&server).await;
        let upsert = server.call("POST", "/collections/{collection}/documents", &C,
            Some(json!([{"id": "ok", "embedding": [1.0, 0.0, 0.0]}, {"id": "long", "embedding": [1.0, 0.0, 0.0, 0.0]}]))).await;
        upsert.error(409, "incompatible_state", &["3", "4"]);
        let query = server.call("POST", "/collections/{collection}/query", &C, Some(json!({"embedding": [1.0, 0.0]}))).await;
        query.error(409, "incompatible_state", &["3", "2"]);
        let recreate = server.call("POST", "/collections", &[], Some(json!({"name": "docs", "embedding": {"dimensions": 8}}))).await;
        recreate.error(409, "incompatible_state", &["3", "8"]);
        // The batch was atomic: `ok` was not written.
        server.call("GET", "/collections/{collection}/documents/{id}", &[C[0], ("id", "ok")], None).await.error(404, "not_found", &["ok"]);
        let memory_space = server.call("PUT", "/memories/embedding-space", &[], Some(json!({"dimensions": 3}))).await;
        memory_space.status(200);
        let memory = server.call("POST", "/tenants/{tenant}/memories", &[("tenant", "acme")],
            Some(json!({"content": "x", "embedding": [1.0, 0.0], "embedding_model": "m"}))).await;
        memory.error(409, "incompatible_state", &["3", "2"]);
    }

    async fn an_unknown_filter_operator_is_400_naming_it(server) {
        seeded(&server).await;
        let query = server.call("POST", "/collections/{collection}/query", &C, Some(json!({"text": "fox", "where": {"year": {"$between": [1, 2]}}}))).await;
        query.error(400, "invalid_input", &["$between", "where"]);
        let document = server.call("POST", "/collections/{collection}/query", &C, Some(json!({"text": "fox", "where_document": {"$regex": "f.x"}}))).await;
        document.error(400, "invalid_input", &["$regex"]);
        let count = server.call("GET", "/collections/{collection}/count?where=%7B%22year%22%3A%7B%22%24foo%22%3A1%7D%7D", &C, None).await;
        count.error(400, "invalid_input", &["$foo", "where"]);
        let not_json = server.call("GET", "/collections/{collection}/count?where=%7Byear", &C, None).await;
        not_json.error(400, "invalid_input", &["where", "JSON"]);
        let delete = server.call("DELETE", "/collections/{collection}/documents", &C, Some(json!({"where": {"$and": [{"k": {"$near": 1}}]}}))).await;
        delete.error(400, "invalid_input", &["$near"]);
        let recall = server.call("POST", "/tenants/{tenant}/memories/recall", &[("tenant", "acme")], Some(json!({"where": {"k": {"$foo": 1}}}))).await;
        recall.error(400, "invalid_input", &["$foo"]);
        assert_eq!(server.call("GET", "/collections/{collection}/count", &C, None).await.status(200)["count"], 4);
    }

    async fn an_empty_delete_filter_is_refused(server) {
        seeded(&server).await;
        let delete = |body: Value| server.call("DELETE", "/collections/{collection}/documents", &C, Some(body));
        delete(json!({"where": {}})).await.error(400, "invalid_input", &["matches every", "DELETE /collections/{collection}"]);
        delete(json!({"where": {"$and": []}})).await.error(400, "invalid_input", &["$and"]);
        delete(json!({})).await.error(400, "invalid_input", &["ids", "where"]);
        delete(json!({"ids": []})).await.error(400, "invalid_input", &["at least one id"]);
        delete(json!({"ids": ["a"], "where": {"kind": "code"}})).await.error(400, "invalid_input", &["exactly one"]);
        assert_eq!(server.call("GET", "/collections/{collection}/count", &C, None).await.status(200)["count"], 4);
    }

    async fn unknown_records_routes_and_methods_are_404_or_405(server) {
        seeded(&server).await;
        server.call("GET", "/collections/{collection}", &[("collection", "nope")], None).await.error(404, "not_found", &["nope"]);
        server.call("GET", "/collections/{collection}/documents/{id}", &[C[0], ("id", "zz")], None).await.error(404, "not_found", &["zz"]);
        let missing_collection = server.call("POST", "/collections/{collection}/query", &[("collection", "nope")], Some(json!({"text": "x"}))).await;
        missing_collection.error(409, "incompatible_state", &["nope"]);
        let uuid = "6f1c0c1e-0000-4000-8000-000000000000";
        for path in ["/tenants/{tenant}/memories/{id}", "/tenants/{tenant}/tasks/{id}"] {
            server.call("GET", path, &[("tenant", "acme"), ("id", uuid)], None).await.error(404, "not_found", &[uuid]);
        }
        server.call("GET", "/tenants/{tenant}/memories/{id}", &[("tenant", "acme"), ("id", "not-a-uuid")], None).await
            .error(400, "invalid_input", &["UUID"]);
        server.call("GET", "/tenants/{tenant}/sessions/{session}", &[("tenant", "acme"), ("session", "nope")], None).await
            .error(404, "not_found", &["nope"]);
        let message = server.call("POST", "/tenants/{tenant}/sessions/{session}/messages", &[("tenant", "acme"), ("session", "nope")],
            Some(json!({"role": "user", "content": "hi"}))).await;
        message.error(404, "not_found", &["nope"]);
        let lost = server.call("POST", "/tenants/{tenant}/tasks/{id}/complete", &[("tenant", "acme"), ("id", uuid)],
            Some(json!({"lease_id": uuid}))).await;
        assert!(matches!(lost.status, 404 | 409), "{lost:?}");
        server.raw("GET", "/no/such/route", |r| r.bearer_auth(TOKEN)).await.error(404, "not_found", &["no route"]);
        let method = server.raw("PATCH", "/collections", |r| r.bearer_auth(TOKEN)).await;
        method.error(405, "method_not_allowed", &["PATCH"]);
        assert!(method.headers.get("allow").is_some(), "405 names the allowed methods");
        server.call("GET", "/tenants/{tenant}/tasks?statuses=running,bogus", &[("tenant", "acme")], None).await
            .error(400, "invalid_input", &["statuses", "bogus"]);
        server.call("GET", "/tenants/{tenant}/tasks?limit=0", &[("tenant", "acme")], None).await.error(400, "invalid_input", &["limit"]);
        server.call("GET", "/tenants/{tenant}/memories?colour=red", &[("tenant", "acme")], None).await.error(400, "invalid_input", &["colour"]);
    }

    async fn a_missing_or_wrong_token_is_401_and_liveness_stays_open(server) {
        let open = server.raw("GET", "/health", |r| r).await;
        assert_eq!(open.status(200), &json!({"status": "ok"}));
        for path in ["/health/status", "/health/postgres", "/openapi.json", "/collections", "/tenants/acme/tasks/stats", "/nowhere"] {
            let missing = server.raw("GET", path, |r| r).await;
            missing.error(401, "unauthorized", &["Bearer"]);
            assert_eq!(missing.headers["www-authenticate"], "Bearer");
            server.raw("GET", path, |r| r.bearer_auth("wrong-token-but-long-enough")).await.error(401, "unauthorized", &["wrong"]);
            server.raw("GET", path, |r| r.bearer_auth(&TOKEN[..TOKEN.len() - 1])).await.error(401, "unauthorized", &[]);
            server.raw("GET", path, |r| r.basic_auth("user", Some(TOKEN))).await.error(401, "unauthorized", &[]);
        }
        let write = server.raw("POST", "/collections", |r| r.json(&json!({"name": "sneaky"}))).await;
        write.error(401, "unauthorized", &[]);
        assert_eq!(server.call("GET", "/collections", &[], None).await.status(200), &json!({"collections": []}));
    }
}
