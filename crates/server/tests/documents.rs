//! The document routes that read many chunks, delete them all, generate ids and return the hits' vectors, over the router in-process on the embedded store and on PostgreSQL 18 and 16, with bad input for each.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use server::{BearerToken, ServerConfig};
use storage_chroma_shim::{EmbeddedConfig, EmbeddedStore};
use storage_core::{SearchDefaults, Stores};
use storage_postgres::testing::{TestServer, test_database_url};
use storage_postgres::{PostgresConfig, PostgresStore};
use tower::ServiceExt;

const TOKEN: &str = "document-routes-test-token-0123456789";

/// The router over `stores`, migrated, requiring [`TOKEN`].
async fn router(stores: Stores) -> Router {
    stores.documents.initialize().await.expect("the store migrates");
    let token = BearerToken::new(TOKEN.to_owned()).expect("a valid token");
    let config = ServerConfig { token: Some(token), ..ServerConfig::default() };
    server::router(stores, SearchDefaults::default(), &config)
}

/// The backend a test runs on; each gets a fresh store (a temporary folder, or a schema of its own).
#[derive(Clone, Copy, Debug)]
enum Backend {
    Embedded,
    Postgres(TestServer),
}

/// A router over a fresh store on `backend`; the folder lives as long as the returned guard.
async fn fresh(backend: Backend, test: &str) -> (Router, Option<tempfile::TempDir>) {
    match backend {
        Backend::Embedded => {
            let dir = tempfile::tempdir().expect("a temp dir");
            let store =
                EmbeddedStore::open(EmbeddedConfig::new(dir.path().join("store"))).expect("an embedded store opens");
            (router(Stores::new(store)).await, Some(dir))
        }
        Backend::Postgres(server) => {
            let mut config = PostgresConfig::from_database_url(&test_database_url(server))
                .unwrap_or_else(|error| panic!("{} is not a usable URL: {error}", server.url_variable()));
            let unique = uuid::Uuid::now_v7().simple().to_string();
            config.schema = format!("t_{test}_{}", &unique[unique.len() - 12..]);
            config.pool_size = 2;
            config.ssl_mode = storage_postgres::SslMode::Disable;
            config.connect_attempts = 2;
            let store = PostgresStore::connect(config).await.unwrap_or_else(|error| panic!("cannot connect: {error}"));
            (router(Stores::new(store)).await, None)
        }
    }
}

/// Sends one request with the token and a JSON content type; returns the status and the JSON body.
async fn call(router: &Router, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json");
    let body = body.map_or_else(Body::empty, |body| Body::from(body.to_string()));
    let response = router.clone().oneshot(request.body(body).expect("a request")).await.expect("infallible");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("the body");
    let json = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).expect("a JSON body") };
    (status, json)
}

/// Asserts a 4xx in the error shape whose message names `field`.
fn refused(reply: (StatusCode, Value), status: StatusCode, field: &str) {
    let (got, body) = reply;
    assert_eq!(got, status, "{body}");
    assert_eq!(body["error"]["code"], "invalid_input", "{body}");
    let message = body["error"]["message"].as_str().expect("a message");
    assert!(message.contains(field), "the message names `{field}`: {message}");
}

/// Collection `docs` (3 dimensions) holding chunks a, b, c with one-hot vectors and `n` = 1, 2, 3.
async fn seeded(backend: Backend, test: &str) -> (Router, Option<tempfile::TempDir>) {
    let (router, dir) = fresh(backend, test).await;
    let create = json!({"name": "docs", "embedding": {"dimensions": 3}});
    assert_eq!(call(&router, "POST", "/collections", Some(create)).await.0, StatusCode::CREATED);
    let chunks = json!([
        {"id": "a", "text": "alpha fox", "metadata": {"n": 1}, "embedding": [1.0, 0.0, 0.0]},
        {"id": "b", "text": "beta fox", "metadata": {"n": 2}, "embedding": [0.0, 1.0, 0.0]},
        {"id": "c", "text": "gamma", "metadata": {"n": 3}, "embedding": [0.0, 0.0, 1.0]},
    ]);
    let (status, body) = call(&router, "POST", "/collections/docs/documents", Some(chunks)).await;
    assert_eq!((status, body["ids"].clone()), (StatusCode::OK, json!(["a", "b", "c"])), "{body}");
    (router, dir)
}

fn ids(chunks: &Value) -> Vec<&str> {
    chunks.as_array().expect("an array").iter().map(|chunk| chunk["id"].as_str().expect("an id")).collect()
}

async fn get_reads_by_ids_and_filters_with_the_parts_asked_for(backend: Backend) {
    let (router, _dir) = seeded(backend, "get_many").await;
    let get = |body: Value| call(&router, "POST", "/collections/docs/get", Some(body));
    let (status, body) = get(json!({"ids": ["c", "missing", "a", "c"], "include": ["embeddings"]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(ids(&body["chunks"]), ["c", "a"], "the ids' order, missing absent, repeats once");
    assert_eq!(body["chunks"][0]["embedding"], json!([0.0, 0.0, 1.0]));
    assert!(body["chunks"][0].get("text").is_none() && body["chunks"][0].get("metadata").is_none(), "{body}");
    let (status, body) = get(json!({"where": {"n": {"$gte": 2}}})).await;
    assert_eq!((status, ids(&body["chunks"])), (StatusCode::OK, vec!["b", "c"]), "{body}");
    assert_eq!(
        (body["chunks"][0]["text"].clone(), body["chunks"][0]["metadata"].clone()),
        (json!("beta fox"), json!({"n": 2}))
    );
    assert!(body["chunks"][0].get("embedding").is_none(), "embeddings only when asked for: {body}");
    let (_, body) = get(json!({"where_document": {"$contains": "fox"}, "limit": 1, "offset": 1})).await;
    assert_eq!(ids(&body["chunks"]), ["b"], "{body}");
    let (_, body) = get(json!({})).await;
    assert_eq!(ids(&body["chunks"]), ["a", "b", "c"], "every chunk in id order");
    let (_, body) = get(json!({"ids": ["..", "."]})).await;
    assert_eq!(body["chunks"], json!([]), "path-like ids are plain values in a body");

    refused(get(json!({"limit": 0})).await, StatusCode::BAD_REQUEST, "limit");
    refused(get(json!({"limit": 10_001})).await, StatusCode::BAD_REQUEST, "limit");
    refused(get(json!({"ids": ["a", ""]})).await, StatusCode::BAD_REQUEST, "ids[1]");
    refused(get(json!({"where": {"n": {"$near": 1}}})).await, StatusCode::BAD_REQUEST, "where.n");
    refused(get(json!({"where_document": {"$regex": "x"}})).await, StatusCode::BAD_REQUEST, "where_document");
    refused(get(json!({"include": ["text", "vectors"]})).await, StatusCode::BAD_REQUEST, "include[1]");
    refused(get(json!({"id": ["a"]})).await, StatusCode::UNPROCESSABLE_ENTITY, "id");
    refused(get(json!({"offset": -1})).await, StatusCode::UNPROCESSABLE_ENTITY, "offset");
    let (status, body) = call(&router, "POST", "/collections/nope/get", Some(json!({}))).await;
    assert!(
        status.is_client_error() && body["error"]["message"].as_str().is_some_and(|m| m.contains("nope")),
        "{body}"
    );
}

async fn delete_all_empties_the_collection_and_keeps_its_space(backend: Backend) {
    let (router, _dir) = seeded(backend, "delete_all").await;
    let request = Request::builder()
        .method("POST")
        .uri("/collections/docs/delete_all")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .expect("a request");
    let response = router.clone().oneshot(request).await.expect("infallible");
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "a write must declare JSON");
    assert_eq!(call(&router, "GET", "/collections/docs/count", None).await.1, json!({"count": 3}));

    let (status, body) = call(&router, "POST", "/collections/docs/delete_all", None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"deleted": 3})));
    assert_eq!(call(&router, "GET", "/collections/docs/count", None).await.1, json!({"count": 0}));
    let (status, info) = call(&router, "GET", "/collections/docs", None).await;
    assert_eq!((status, info["embedding_space"]["dimensions"].clone()), (StatusCode::OK, json!(3)), "{info}");
    assert_eq!(call(&router, "POST", "/collections/docs/delete_all", Some(json!({}))).await.1, json!({"deleted": 0}));
    let (status, body) = call(&router, "POST", "/collections/Bad-Name/delete_all", None).await;
    refused((status, body), StatusCode::BAD_REQUEST, "Bad-Name");
    let (status, body) = call(&router, "POST", "/collections/nope/delete_all", None).await;
    assert!(
        status.is_client_error() && body["error"]["message"].as_str().is_some_and(|m| m.contains("nope")),
        "{body}"
    );
}

async fn upsert_generates_the_ids_it_is_not_given(backend: Backend) {
    let (router, _dir) = seeded(backend, "upsert_ids").await;
    let chunks = json!({"chunks": [{"text": "no id", "embedding": [1.0, 0.0, 0.0]}, {"id": "d", "text": "given"}, {"text": "none either"}]});
    let (status, body) = call(&router, "POST", "/collections/docs/documents", Some(chunks)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["inserted"].clone(), body["updated"].clone()), (json!(3), json!(0)), "{body}");
    let returned: Vec<String> = serde_json::from_value(body["ids"].clone()).expect("ids");
    assert_eq!(returned[1], "d");
    assert!(returned[0] != returned[2] && returned[0].len() == 36, "{returned:?}");
    let (_, body) = call(&router, "POST", "/collections/docs/get", Some(json!({"ids": returned}))).await;
    let texts: Vec<&str> =
        body["chunks"].as_array().expect("chunks").iter().filter_map(|c| c["text"].as_str()).collect();
    assert_eq!(texts, ["no id", "given", "none either"], "each generated id reads back its chunk");

    let upsert = |body: Value| call(&router, "POST", "/collections/docs/documents", Some(body));
    refused(upsert(json!([{"text": "x"}, {"id": 7}])).await, StatusCode::BAD_REQUEST, "chunks[1].id");
    refused(upsert(json!([{"text": "x"}, {"id": ""}])).await, StatusCode::BAD_REQUEST, "id");
    assert_eq!(
        call(&router, "GET", "/collections/docs/count", None).await.1,
        json!({"count": 6}),
        "nothing was written"
    );
}

async fn query_returns_the_hits_vectors_when_asked(backend: Backend) {
    let (router, _dir) = seeded(backend, "query_include").await;
    let query = |body: Value| call(&router, "POST", "/collections/docs/query", Some(body));
    let (status, body) =
        query(json!({"embedding": [0.9, 0.1, 0.0], "top_k": 2, "include": ["embeddings", "distances"]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let results = body["results"].as_array().expect("results");
    assert_eq!(ids(&body["results"]), ["a", "b"]);
    assert_eq!(
        (results[0]["embedding"].clone(), results[1]["embedding"].clone()),
        (json!([1.0, 0.0, 0.0]), json!([0.0, 1.0, 0.0]))
    );
    let (_, body) = query(json!({"text": "fox", "include": ["distances", "scores"]})).await;
    assert!(body["results"].as_array().expect("results").iter().all(|hit| hit.get("embedding").is_none()), "{body}");
    refused(
        query(json!({"text": "fox", "include": ["scores", "vectors"]})).await,
        StatusCode::BAD_REQUEST,
        "include[1]",
    );
    refused(query(json!({"text": "fox", "include": "embeddings"})).await, StatusCode::UNPROCESSABLE_ENTITY, "include");
}

/// One `#[tokio::test]` per case and backend.
macro_rules! on_every_backend {
    ($($case:ident),* $(,)?) => {
        mod embedded {
            $( #[tokio::test] async fn $case() { super::$case(super::Backend::Embedded).await } )*
        }
        mod current {
            $( #[tokio::test] async fn $case() { super::$case(super::Backend::Postgres(super::TestServer::Current)).await } )*
        }
        mod compat {
            $( #[tokio::test] async fn $case() { super::$case(super::Backend::Postgres(super::TestServer::Compat)).await } )*
        }
    };
}

on_every_backend!(
    get_reads_by_ids_and_filters_with_the_parts_asked_for,
    delete_all_empties_the_collection_and_keeps_its_space,
    upsert_generates_the_ids_it_is_not_given,
    query_returns_the_hits_vectors_when_asked,
);
