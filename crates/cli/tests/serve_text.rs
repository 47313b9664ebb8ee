//! `brainstore serve` with an `embedding:` section, over a real listener: text-only upserts, queries with
//! text and no vector, and memory remember / recall by text are embedded with the configured local model
//! (`BRAINSTORE_TEST_MODEL_DIR`), `POST /v1/embeddings` answers with it, and a collection without a provider
//! refuses a query by text alone naming the route that sets one up.
#![cfg(feature = "server")] // `serve` exists only in builds with the HTTP server

mod common;
mod serve_harness;

use common::{Backend, Store};
use serde_json::{Value, json};
use serve_harness::{Server, TOKEN};

const MODEL_DIR_VARIABLE: &str = "BRAINSTORE_TEST_MODEL_DIR";

fn model_dir() -> String {
    std::env::var(MODEL_DIR_VARIABLE).unwrap_or_else(|_| {
        panic!(
            "{MODEL_DIR_VARIABLE} is not set: run the tests with `cargo xtask test`, or set it to the folder \
             `cargo xtask model path` prints"
        )
    })
}

async fn text_server(backend: Backend, test: &str) -> Server {
    let mut store = Store::new(backend, test);
    store.set_env("BRAINSTORE__EMBEDDING__PROVIDER", "local");
    store.set_env("BRAINSTORE__EMBEDDING__MODEL", "all-MiniLM-L6-v2");
    store.set_env("BRAINSTORE__EMBEDDING__MODEL_PATH", &model_dir());
    store.set_env("HF_HUB_OFFLINE", "1");
    Server::start_with(store, Some(TOKEN), &[]).await
}

fn top_id(reply: &Value) -> &str {
    reply["results"][0]["id"].as_str().unwrap_or_else(|| panic!("no hits in {reply}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_embeds_text_only_writes_queries_and_memories_with_the_configured_model() {
    let server = text_server(Backend::Embedded, "serve_text").await;
    let space = json!({"provider": "local", "model": "all-MiniLM-L6-v2", "dimensions": 384});
    let create = json!({"name": "docs", "embedding": space});
    server.call("POST", "/collections", &[], Some(create)).await.status(201);
    let docs = [("collection", "docs")];
    let chunks = json!([
        {"id": "cat", "text": "The cat slept all afternoon on the warm windowsill, purring softly."},
        {"id": "db", "text": "PostgreSQL keeps table rows in heap pages and finds them through B-tree indexes."},
        {"id": "bread", "text": "Bake the loaf at 220 degrees until the crust turns golden brown."},
    ]);
    server.call("POST", "/collections/{collection}/documents", &docs, Some(chunks)).await.status(200);

    let query = |body: Value| server.call("POST", "/collections/{collection}/query", &docs, Some(body));
    let vector = query(json!({"mode": "vector", "text": "a kitten napping in the sun"})).await;
    assert_eq!(top_id(vector.status(200)), "cat");
    let hybrid = query(json!({"mode": "hybrid", "text": "database index pages"})).await;
    assert_eq!(top_id(hybrid.status(200)), "db");

    // `/v1/embeddings` answers with the same model the store embeds with.
    let reply = server
        .call("POST", "/v1/embeddings", &[], Some(json!({"input": ["hello", "world"], "model": "all-MiniLM-L6-v2"})))
        .await;
    let body = reply.status(200);
    assert_eq!(body["data"].as_array().map(Vec::len), Some(2), "{body}");
    assert_eq!(body["data"][0]["embedding"].as_array().map(Vec::len), Some(384), "{body}");

    // Memories: remember by text (embedded, so a near-duplicate is folded in), recall by text.
    server.call("PUT", "/memories/embedding-space", &[], Some(space)).await.status(200);
    let tenant = [("tenant", "acme")];
    let remember =
        |content: &str| server.call("POST", "/tenants/{tenant}/memories", &tenant, Some(json!({"content": content})));
    assert_eq!(remember("The user prefers dark mode in every editor.").await.status(201)["action"], "created");
    remember("The deployment runs every Friday at noon.").await.status(201);
    let again = remember("The user prefers dark mode in all editors.").await;
    assert_eq!(again.status(200)["action"], "deduplicated", "{}", again.body);
    let recall = server
        .call("POST", "/tenants/{tenant}/memories/recall", &tenant, Some(json!({"text": "which colour theme?"})))
        .await;
    let hit = &recall.status(200)["hits"][0];
    assert!(hit["memory"]["content"].as_str().unwrap_or_default().contains("dark mode"), "{}", recall.body);
    assert!(hit["semantic"].as_f64().unwrap_or_default() > 0.3, "{hit}");

    // A collection without a provider cannot embed a query: 409, naming the route that records one.
    server.call("POST", "/collections", &[], Some(json!({"name": "plain", "embedding": {"dimensions": 3}}))).await;
    let refused = server
        .call(
            "POST",
            "/collections/{collection}/query",
            &[("collection", "plain")],
            Some(json!({"mode": "vector", "text": "anything"})),
        )
        .await;
    refused.error(409, "incompatible_state", &["an embedding provider for the space", "`POST /collections`"]);
}
