//! In-process checks of the router against its OpenAPI document: every documented path and method is routed, and every error is JSON.

use serde_json::Value;
use storage_chroma_shim::{EmbeddedConfig, EmbeddedStore};
use storage_core::{SearchDefaults, Stores};

use crate::{BearerToken, ServerConfig, openapi as document, router};

const TOKEN: &str = "in-process-test-token-0123456789";

/// A server on an ephemeral loopback port over a fresh embedded store; returns its base URL.
async fn spawn(dir: &std::path::Path) -> String {
    let store = EmbeddedStore::open(EmbeddedConfig::new(dir.join("store"))).expect("an embedded store opens");
    let stores = Stores::new(store);
    stores.documents.initialize().await.expect("the store migrates");
    let token = BearerToken::new(TOKEN.to_owned()).expect("a valid token");
    let config = ServerConfig {
        body_limit_bytes: 64 * 1024,
        request_timeout_secs: 10,
        token: Some(token),
        ..Default::default()
    };
    let router = router(stores, SearchDefaults::default(), &config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = listener.local_addr().expect("a bound address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}")
}

/// A documented path with its parameters filled in.
fn concrete(path: &str) -> String {
    path.replace("{collection}", "docs")
        .replace("{tenant}", "acme")
        .replace("{id}", "00000000-0000-4000-8000-000000000000")
        .replace("{session}", "s1")
        .replace("{artifact}", "a1")
        .replace("{name}", "agent")
}

fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_some() {
                out.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn every_documented_operation_is_routed_and_answers_json() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let base = spawn(dir.path()).await;
    let doc = serde_json::to_value(document()).expect("the document serialises");
    let client = http_client();
    let operations = operations(&doc);
    assert!(operations.len() >= 49, "{} operations", operations.len());
    for (method, path) in operations {
        let url = format!("{base}{}", concrete(&path));
        let mut request = client
            .request(method.parse().expect("a method"), &url)
            .bearer_auth(TOKEN)
            .header("content-type", "application/json");
        if method != "GET" {
            request = request.body("{}");
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let body: Value = response.json().await.unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e})"));
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(!message.starts_with("no route"), "{method} {path} is documented but not routed: {body}");
        assert_ne!(status, reqwest::StatusCode::METHOD_NOT_ALLOWED, "{method} {path}: {body}");
        assert!(!status.is_server_error(), "{method} {path}: {status} {body}");
        let documented = doc["paths"][&path][method.to_lowercase()]["responses"][status.as_str()].is_object();
        assert!(documented, "{method} {path} answered {status}, which its document does not list: {body}");
    }
}

#[tokio::test]
async fn the_token_guards_everything_but_liveness() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let base = spawn(dir.path()).await;
    let client = http_client();
    let open = client.get(format!("{base}/health")).send().await.expect("answers");
    assert_eq!(open.status(), 200);
    for (path, token) in [("/health/status", None), ("/openapi.json", Some("wrong-token-wrong-token")), ("/nope", None)]
    {
        let mut request = client.get(format!("{base}{path}"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("answers");
        assert_eq!(response.status(), 401, "{path}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["error"]["code"], "unauthorized");
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_in_the_error_shape() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let base = spawn(dir.path()).await;
    let big = format!("[{{\"id\": \"a\", \"text\": \"{}\"}}]", "x".repeat(100 * 1024));
    let response = http_client()
        .post(format!("{base}/collections/docs/documents"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "payload_too_large");
}

#[test]
fn the_document_is_openapi_3_with_a_bearer_scheme_and_errors_everywhere() {
    let doc = serde_json::to_value(document()).expect("the document serialises");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{}", doc["openapi"]);
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    for (method, path) in operations(&doc) {
        let operation = &doc["paths"][&path][method.to_lowercase()];
        assert!(operation["responses"]["default"].is_object(), "{method} {path}");
        let open = operation["security"][0].as_object().is_some_and(serde_json::Map::is_empty);
        assert_eq!(open, path == "/health", "{method} {path}: only liveness is open");
    }
}

/// An HTTP client for the tests. In a workspace build `crates/embed` turns on reqwest's `rustls-no-provider`
/// (to keep aws-lc's C build out), and feature unification gives every reqwest in the build that setting, so
/// a client panics unless a rustls crypto provider is installed first: ring's, once per process.
fn http_client() -> reqwest::Client {
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}
