//! `POST /v1/embeddings` end to end: brainstore's own `openai` provider against a real server (the router on
//! a loopback TCP port through `server::serve`) whose embedder is the local all-MiniLM-L6-v2
//! (`BRAINSTORE_TEST_MODEL_DIR`, installed by `cargo xtask test`). The vectors that cross the wire are the
//! local model's (to rounding); bad bodies get 400s over the wire, and a server without an embedder a 503.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use embed::{EmbeddingConfig, LocalEmbedder};
use serde_json::{Value, json};
use server::ServerConfig;
use storage_chroma_shim::{EmbeddedConfig, EmbeddedStore};
use storage_core::{Embedder, SearchDefaults, Stores};

const MODEL_DIR_VARIABLE: &str = "BRAINSTORE_TEST_MODEL_DIR";
const MODEL: &str = "all-MiniLM-L6-v2";

fn model_dir() -> PathBuf {
    let dir = std::env::var_os(MODEL_DIR_VARIABLE).unwrap_or_else(|| {
        panic!(
            "{MODEL_DIR_VARIABLE} is not set: run the tests with `cargo xtask test`, or set it to the folder \
             `cargo xtask model path` prints"
        )
    });
    PathBuf::from(dir)
}

/// A running server over a fresh embedded store, answering `/v1/embeddings` with `embedder` if given; it
/// stops when dropped.
struct Running {
    address: SocketAddr,
    _dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn start(embedder: Option<Arc<dyn Embedder>>) -> Running {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = EmbeddedStore::open(EmbeddedConfig::new(dir.path().join("store"))).expect("an embedded store opens");
    let stores = Stores::new(store);
    stores.documents.initialize().await.expect("the store migrates");
    // No token: the openai provider sends none without `api_key_env`, and loopback needs none.
    let config = ServerConfig::default();
    let mut router = server::router(stores, SearchDefaults::default(), &config);
    if let Some(embedder) = embedder {
        router = server::with_embedder(router, embedder);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let address = listener.local_addr().expect("the bound address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        server::serve(listener, router, &config, async {
            let _ = stopped.await;
        })
        .await
        .expect("the server runs");
    });
    Running { address, _dir: dir, stop: Some(stop) }
}

fn local_embedder() -> Arc<LocalEmbedder> {
    let config = EmbeddingConfig { model_path: Some(model_dir()), ..EmbeddingConfig::local_default() };
    Arc::new(LocalEmbedder::load(&config).expect("the test model loads"))
}

fn sample_texts() -> Vec<String> {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/sample.jsonl");
    std::fs::read_to_string(sample)
        .expect("examples/sample.jsonl is readable")
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).expect("a JSON line")["text"].as_str().expect("a text").to_owned()
        })
        .collect()
}

async fn post(address: SocketAddr, body: &Value) -> (u16, Value) {
    // A build that includes `crates/embed` gives reqwest `rustls-no-provider`: a client panics unless a
    // rustls crypto provider is installed first (ring's, once per process).
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    let response = reqwest::Client::new()
        .post(format!("http://{address}/v1/embeddings"))
        .json(body)
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openai_provider_gets_the_local_models_vectors_through_serve() {
    let local = local_embedder();
    let running = start(Some(local.clone() as Arc<dyn Embedder>)).await;
    let config = EmbeddingConfig {
        base_url: Some(format!("http://{}/v1", running.address)),
        ..EmbeddingConfig::new("openai", MODEL)
    };
    // Without `dimensions`, connecting embeds a probe text over the wire to learn them.
    let remote = embed::connect(&config).await.expect("the openai provider connects to serve");
    assert_eq!(remote.space().dimensions, local.space().dimensions);
    assert_eq!((remote.space().provider.as_deref(), remote.space().model.as_deref()), (Some("openai"), Some(MODEL)));

    // 349 texts: three requests of at most 128 (the provider's default batch).
    let texts = sample_texts();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let over_the_wire = remote.embed(&texts).await.expect("the texts embed through serve");
    let in_process = local.embed(&texts).await.expect("the texts embed in process");
    assert_eq!(over_the_wire.len(), texts.len());
    // The server embeds each request as its own batch, so the sums run in another order than in one
    // in-process call: equal to rounding, not to the bit.
    for ((remote, local), text) in over_the_wire.iter().zip(&in_process).zip(&texts) {
        let difference = remote.as_slice().iter().zip(local.as_slice()).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(difference < 1e-5, "{text:?} differs by {difference} through serve");
    }
}

#[tokio::test]
async fn the_response_has_openais_shape() {
    let running = start(Some(local_embedder() as Arc<dyn Embedder>)).await;
    let (status, body) = post(running.address, &json!({"input": ["first", "second"], "model": MODEL})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["object"].as_str(), body["model"].as_str()), (Some("list"), Some(MODEL)));
    let data = body["data"].as_array().expect("data");
    assert_eq!(data.len(), 2);
    for (index, item) in data.iter().enumerate() {
        assert_eq!((item["object"].as_str(), item["index"].as_u64()), (Some("embedding"), Some(index as u64)));
        assert_eq!(item["embedding"].as_array().expect("a vector").len(), 384);
    }
    assert_eq!(body["usage"], json!({"prompt_tokens": 0, "total_tokens": 0}));
}

#[tokio::test]
async fn bad_bodies_get_400s_that_name_the_field() {
    let running = start(Some(local_embedder() as Arc<dyn Embedder>)).await;
    for (body, expected) in [
        (json!({"model": MODEL}), "input: missing"),
        (json!({"input": [], "model": MODEL}), "input: the array is empty"),
        (json!({"input": ["ok", 12], "model": MODEL}), "input[1]: expected a string, got a number"),
        (json!({"input": vec!["a"; 2049], "model": MODEL}), "input: 2049 texts is more than 2048 per request"),
        (
            json!({"input": "a", "model": "text-embedding-3-small"}),
            "model: `text-embedding-3-small` is not served here",
        ),
        (json!({"input": "a", "model": MODEL, "dimensions": 1536}), "dimensions: 1536 was asked for"),
    ] {
        let (status, answer) = post(running.address, &body).await;
        assert_eq!(status, 400, "{body} gave {answer}");
        assert_eq!(answer["error"]["code"], "invalid_input");
        let message = answer["error"]["message"].as_str().expect("a message");
        assert!(message.starts_with(expected), "{body}: {message}");
    }
}

#[tokio::test]
async fn a_server_without_an_embedder_names_the_configuration_keys() {
    let running = start(None).await;
    let (status, answer) = post(running.address, &json!({"input": "a", "model": MODEL})).await;
    assert_eq!(status, 503, "{answer}");
    assert_eq!(answer["error"]["code"], "not_configured");
    let message = answer["error"]["message"].as_str().expect("a message");
    assert!(message.contains("embedding.provider") && message.contains("embedding.model"), "{message}");
}
