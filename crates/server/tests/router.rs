//! The router in-process, one request at a time through `tower::ServiceExt::oneshot` (no socket): routes, auth, limits and error shapes over a real embedded store.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use server::{BearerToken, ServerConfig};
use storage_chroma_shim::{EmbeddedConfig, EmbeddedStore};
use storage_core::{SearchDefaults, Stores};
use tower::ServiceExt;

const TOKEN: &str = "oneshot-test-token-0123456789";

/// A router over a fresh, migrated embedded store in `dir`, requiring [`TOKEN`].
async fn router(dir: &tempfile::TempDir) -> Router {
    let store = EmbeddedStore::open(EmbeddedConfig::new(dir.path().join("store"))).expect("an embedded store opens");
    let stores = Stores::new(store);
    stores.documents.initialize().await.expect("the store migrates");
    let token = BearerToken::new(TOKEN.to_owned()).expect("a valid token");
    let config = ServerConfig { body_limit_bytes: 64 * 1024, token: Some(token), ..ServerConfig::default() };
    server::router(stores, SearchDefaults::default(), &config)
}

/// Sends one request with the token; returns the status and the JSON body (`Null` when empty).
async fn call(router: &Router, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut request =
        Request::builder().method(method).uri(path).header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
    let body = match body {
        Some(body) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(body.to_string())
        }
        None => Body::empty(),
    };
    let response = router.clone().oneshot(request.body(body).expect("a request")).await.expect("infallible");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("the body");
    let json = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).expect("a JSON body") };
    (status, json)
}

#[tokio::test]
async fn a_chunk_upserted_is_got_and_found_in_process() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let router = router(&dir).await;
    let space = json!({"name": "docs", "embedding": {"dimensions": 3}});
    assert_eq!(call(&router, "POST", "/collections", Some(space)).await.0, StatusCode::CREATED);
    let chunks = json!([
        {"id": "a", "text": "the quick brown fox", "metadata": {"kind": "animal"}, "embedding": [1.0, 0.0, 0.0]},
        {"id": "b", "text": "a slow green turtle", "metadata": {"kind": "animal"}, "embedding": [0.0, 1.0, 0.0]},
    ]);
    let (status, upserted) = call(&router, "POST", "/collections/docs/documents", Some(chunks)).await;
    assert_eq!(status, StatusCode::OK, "{upserted}");
    assert_eq!(upserted["inserted"], 2);
    let (status, chunk) = call(&router, "GET", "/collections/docs/documents/a", None).await;
    assert_eq!(status, StatusCode::OK, "{chunk}");
    assert_eq!((chunk["id"].clone(), chunk["text"].clone()), (json!("a"), json!("the quick brown fox")));
    assert_eq!(chunk["embedding"], json!([1.0, 0.0, 0.0]));
    let query = json!({"text": "fox", "embedding": [0.9, 0.1, 0.0], "top_k": 1});
    let (status, found) = call(&router, "POST", "/collections/docs/query", Some(query)).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["mode"], "hybrid");
    assert_eq!(found["results"][0]["id"], "a");
}

#[tokio::test]
async fn errors_are_json_with_a_code_in_process() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let router = router(&dir).await;
    assert_eq!(call(&router, "POST", "/collections", Some(json!({"name": "docs"}))).await.0, StatusCode::CREATED);
    let (status, body) = call(&router, "GET", "/collections/docs/documents/nope", None).await;
    assert_eq!((status, body["error"]["code"].clone()), (StatusCode::NOT_FOUND, json!("not_found")), "{body}");
    let (status, body) = call(&router, "POST", "/collections/docs/query", Some(json!({"top_k": 0}))).await;
    assert_eq!((status, body["error"]["code"].clone()), (StatusCode::BAD_REQUEST, json!("invalid_input")), "{body}");
    let (status, body) = call(&router, "GET", "/no/such/route", None).await;
    assert_eq!((status, body["error"]["code"].clone()), (StatusCode::NOT_FOUND, json!("not_found")), "{body}");
    let big = json!([{"id": "a", "text": "x".repeat(100 * 1024)}]);
    let (status, body) = call(&router, "POST", "/collections/docs/documents", Some(big)).await;
    assert_eq!((status, body["error"]["code"].clone()), (StatusCode::PAYLOAD_TOO_LARGE, json!("payload_too_large")));
}

#[tokio::test]
async fn only_liveness_answers_without_the_token_in_process() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let router = router(&dir).await;
    for (path, expected) in [("/health", StatusCode::OK), ("/health/status", StatusCode::UNAUTHORIZED)] {
        let request = Request::builder().uri(path).body(Body::empty()).expect("a request");
        let response = router.clone().oneshot(request).await.expect("infallible");
        assert_eq!(response.status(), expected, "{path}");
    }
}

#[tokio::test]
async fn a_refusal_names_the_route_that_fixes_it_in_process() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let router = router(&dir).await;
    let chunk = json!([{"id": "a", "text": "hello"}]);
    let (status, body) = call(&router, "POST", "/collections/nope/documents", Some(chunk.clone())).await;
    assert_eq!((status, body["error"]["code"].clone()), (StatusCode::CONFLICT, json!("incompatible_state")));
    let message = body["error"]["message"].as_str().expect("a message");
    assert!(message.contains("`POST /collections` with {\"name\": \"nope\"}"), "{message}");
    assert!(!message.contains("brainstore "), "a command-line hint over HTTP: {message}");
    assert_eq!(call(&router, "POST", "/collections", Some(json!({"name": "nope"}))).await.0, StatusCode::CREATED);
    assert_eq!(call(&router, "POST", "/collections/nope/documents", Some(chunk)).await.0, StatusCode::OK);

    let memory = json!({"content": "the sky is blue", "embedding": [1.0, 0.0], "embedding_model": "m"});
    let (status, body) = call(&router, "POST", "/tenants/acme/memories", Some(memory.clone())).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let message = body["error"]["message"].as_str().expect("a message");
    assert!(message.contains("`PUT /memories/embedding-space`"), "{message}");
    assert_eq!(
        call(&router, "PUT", "/memories/embedding-space", Some(json!({"dimensions": 2}))).await.0,
        StatusCode::OK
    );
    assert_eq!(call(&router, "POST", "/tenants/acme/memories", Some(memory)).await.0, StatusCode::CREATED);
}
