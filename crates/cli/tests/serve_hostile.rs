//! What a hostile user sent `brainstore serve` (issue 13), on both backends: filters far past the size limits
//! on every route that takes one (the PostgreSQL server used to overflow its stack and abort), filters that
//! match everything by their shape on delete, and NUL bytes in filter values — each a 400 naming the field,
//! with the server still answering afterwards and nothing changed.
#![cfg(feature = "server")] // `serve` exists only in builds with the HTTP server

mod common;
mod serve_harness;

use serde_json::{Value, json};
use serve_harness::{Server, fixture_chunks};

const C: [(&str, &str); 1] = [("collection", "docs")];
const T: [(&str, &str); 1] = [("tenant", "acme")];

/// A server with collection `docs` (3 dimensions) holding the four fixture chunks, and a memory space.
async fn seeded(server: &Server) {
    let create = json!({"name": "docs", "embedding": {"dimensions": 3}});
    server.call("POST", "/collections", &[], Some(create)).await.status(201);
    let chunks = Some(Value::Array(fixture_chunks()));
    server.call("POST", "/collections/{collection}/documents", &C, chunks).await.status(200);
    server.call("PUT", "/memories/embedding-space", &[], Some(json!({"dimensions": 3}))).await.status(200);
}

/// The filters the tester crashed the PostgreSQL server with, each past one limit, and the limit's words.
fn oversized_filters() -> Vec<(Value, &'static str)> {
    let strings: Vec<String> = (0..15_000).map(|n| format!("value-{n}")).collect();
    let numbers: Vec<u32> = (0..12_000).collect();
    let alternatives: Vec<Value> = (0..20_000).map(|n| json!({"n": n})).collect();
    vec![
        (json!({"kind": {"$in": strings}}), "10000 values"),
        (json!({"year": {"$nin": numbers}}), "10000 values"),
        (json!({"$or": alternatives}), "1000 conditions"),
    ]
}

serve_tests! {
    async fn oversized_filters_are_400_and_the_server_stays_up(server) {
        seeded(&server).await;
        for (filter, limit) in oversized_filters() {
            let query = json!({"text": "fox", "where": filter});
            server.call("POST", "/collections/{collection}/query", &C, Some(query)).await
                .error(400, "invalid_input", &["where", limit]);
            let delete = json!({"where": filter});
            server.call("DELETE", "/collections/{collection}/documents", &C, Some(delete)).await
                .error(400, "invalid_input", &["where", limit]);
            let recall = json!({"text": "fox", "where": filter});
            server.call("POST", "/tenants/{tenant}/memories/recall", &T, Some(recall)).await
                .error(400, "invalid_input", &["where", limit]);
            server.call("GET", "/health", &[], None).await.status(200);
        }
        assert_eq!(server.call("GET", "/collections/{collection}/count", &C, None).await.status(200)["count"], 4);
    }

    async fn delete_filters_that_match_everything_by_their_shape_are_refused(server) {
        seeded(&server).await;
        for filter in [json!({"$and": [{}]}), json!({"$or": [{}]}), json!({"$and": [{"$or": [{}]}]})] {
            server.call("DELETE", "/collections/{collection}/documents", &C, Some(json!({"where": filter}))).await
                .error(400, "invalid_input", &["where", "matches every"]);
        }
        assert_eq!(server.call("GET", "/collections/{collection}/count", &C, None).await.status(200)["count"], 4);
    }

    async fn a_nul_byte_in_a_filter_is_400_naming_the_field(server) {
        seeded(&server).await;
        let filter = json!({"kind": "ani\u{0}mal"});
        server.call("POST", "/collections/{collection}/query", &C, Some(json!({"text": "fox", "where": filter}))).await
            .error(400, "invalid_input", &["where", "NUL"]);
        server.call("DELETE", "/collections/{collection}/documents", &C, Some(json!({"where": filter}))).await
            .error(400, "invalid_input", &["where", "NUL"]);
        assert_eq!(server.call("GET", "/collections/{collection}/count", &C, None).await.status(200)["count"], 4);
    }
}
