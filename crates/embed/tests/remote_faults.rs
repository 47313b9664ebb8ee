//! The `openai` and `ollama` providers under injected faults, each giving its retry or its clear error.
//! The server is scripted only for the faults; the end-to-end run against a real server is `brainstore
//! serve`'s `/v1/embeddings` (in the server crate's tests).

mod scripted;

use std::time::{Duration, Instant};

use embed::{EmbeddingConfig, connect};
use scripted::{Reply, Scripted, ollama_body, openai_body};
use storage_core::StorageError;

/// One of the two server protocols.
#[derive(Clone, Copy, Debug)]
struct Protocol {
    provider: &'static str,
    path: &'static str,
    body: fn(&[Vec<f32>]) -> serde_json::Value,
}

const PROTOCOLS: [Protocol; 2] = [
    Protocol { provider: "openai", path: "/v1/embeddings", body: openai_body },
    Protocol { provider: "ollama", path: "/api/embed", body: ollama_body },
];

fn config(protocol: Protocol, server: &Scripted, dimensions: Option<u32>) -> EmbeddingConfig {
    let base_url = match protocol.provider {
        "openai" => format!("{}/v1", server.base_url),
        _ => server.base_url.clone(),
    };
    EmbeddingConfig {
        base_url: Some(base_url),
        dimensions,
        timeout_secs: Some(1),
        max_retries: Some(2),
        ..EmbeddingConfig::new(protocol.provider, "test-model")
    }
}

fn server_name(server: &Scripted) -> String {
    server.base_url.trim_start_matches("http://").to_owned()
}

#[tokio::test]
async fn a_429_is_retried_after_the_time_retry_after_asks() {
    for protocol in PROTOCOLS {
        let server = Scripted::start(vec![
            Reply::status(429, r#"{"error":{"message":"slow down"}}"#).with_header("retry-after", "1"),
            Reply::ok((protocol.body)(&[vec![1.0, 0.0], vec![0.0, 1.0]])),
        ])
        .await;
        let embedder = connect(&config(protocol, &server, Some(2))).await.unwrap();
        let vectors = embedder.embed(&["a", "b"]).await.unwrap();
        assert_eq!(vectors[1].as_slice(), &[0.0, 1.0], "{protocol:?}");
        let seen = server.seen();
        assert_eq!(seen.len(), 2, "{protocol:?}");
        assert!(seen[0].head.starts_with(&format!("POST {} ", protocol.path)), "{}", seen[0].head);
        let waited = seen[1].at - seen[0].at;
        assert!(waited >= Duration::from_millis(950), "{protocol:?} retried after {waited:?}, not the 1 s asked");
    }
}

#[tokio::test]
async fn a_500_is_retried_and_the_request_repeated_unchanged() {
    for protocol in PROTOCOLS {
        let server = Scripted::start(vec![
            Reply::status(500, r#"{"error":"overloaded"}"#),
            Reply::ok((protocol.body)(&[vec![0.6, 0.8]])),
        ])
        .await;
        let embedder = connect(&config(protocol, &server, Some(2))).await.unwrap();
        let vectors = embedder.embed(&["hello"]).await.unwrap();
        assert_eq!(vectors[0].as_slice(), &[0.6, 0.8]);
        let seen = server.seen();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].body, seen[1].body);
        assert_eq!(seen[0].body["input"], serde_json::json!(["hello"]), "{protocol:?}");
        assert_eq!(seen[0].body["model"], "test-model");
    }
}

#[tokio::test]
async fn a_server_that_hangs_past_the_timeout_is_retried_then_reported() {
    for protocol in PROTOCOLS {
        let server = Scripted::start(vec![Reply::Hang, Reply::Hang, Reply::Hang]).await;
        let embedder = connect(&config(protocol, &server, Some(2))).await.unwrap();
        let started = Instant::now();
        let err = embedder.embed(&["x"]).await.unwrap_err();
        let elapsed = started.elapsed();
        let text = err.to_string();
        assert!(err.is_unavailable(), "{text}");
        assert!(text.contains(&format!("{} server {}", protocol.provider, server_name(&server))), "{text}");
        assert!(text.contains("after 3 attempt(s)"), "{text}");
        assert!(format!("{:?}", std::error::Error::source(&err)).contains("TimedOut"), "{err:?}");
        // Three 1 s timeouts plus the 0.5 s and 1 s backoffs.
        assert!(elapsed >= Duration::from_millis(4400), "{elapsed:?}");
        assert_eq!(server.seen().len(), 3);
    }
}

#[tokio::test]
async fn a_wrong_dimension_count_names_both_numbers() {
    for protocol in PROTOCOLS {
        let server = Scripted::start(vec![Reply::ok((protocol.body)(&[vec![1.0, 2.0]]))]).await;
        let embedder = connect(&config(protocol, &server, Some(3))).await.unwrap();
        let err = embedder.embed(&["x"]).await.unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, StorageError::Backend { .. }), "{text}");
        assert!(text.contains("vector 0 has 2 dimensions") && text.contains("has 3"), "{text}");
        assert!(text.contains(&server_name(&server)), "{text}");
    }
}

#[tokio::test]
async fn a_wrong_vector_count_names_both_numbers() {
    for protocol in PROTOCOLS {
        let server = Scripted::start(vec![Reply::ok((protocol.body)(&[vec![1.0, 2.0]]))]).await;
        let embedder = connect(&config(protocol, &server, Some(2))).await.unwrap();
        let err = embedder.embed(&["one", "two", "three"]).await.unwrap_err().to_string();
        assert!(err.contains("3 texts were sent but 1 vectors came back"), "{err}");
        assert!(err.contains(&format!("{} server {}", protocol.provider, server_name(&server))), "{err}");
    }
}

#[tokio::test]
async fn an_unreachable_port_is_retried_then_reported_as_unavailable() {
    for protocol in PROTOCOLS {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config = EmbeddingConfig {
            base_url: Some(format!("http://127.0.0.1:{port}")),
            max_retries: Some(1),
            ..EmbeddingConfig::new(protocol.provider, "m")
        };
        // Without `dimensions` the provider probes the server at once, so connecting is what fails.
        let err = StorageError::from(connect(&config).await.unwrap_err());
        let text = err.to_string();
        assert!(err.is_unavailable(), "{text}");
        assert!(text.contains(&format!("{} server 127.0.0.1:{port}", protocol.provider)), "{text}");
        assert!(text.contains("after 2 attempt(s)"), "{text}");
    }
}

#[tokio::test]
async fn a_client_error_is_not_retried_and_names_server_and_status() {
    for protocol in PROTOCOLS {
        let server =
            Scripted::start(vec![Reply::status(404, r#"{"error":{"message":"model `test-model` not found"}}"#)]).await;
        let embedder = connect(&config(protocol, &server, Some(2))).await.unwrap();
        let err = embedder.embed(&["x"]).await.unwrap_err().to_string();
        let expected =
            format!("{} server {} answered 404: model `test-model` not found", protocol.provider, server_name(&server));
        assert!(err.contains(&expected), "{err}");
        assert_eq!(server.seen().len(), 1);
    }
}

#[tokio::test]
async fn without_configured_dimensions_one_probe_learns_them() {
    for protocol in PROTOCOLS {
        let server = Scripted::start(vec![
            Reply::ok((protocol.body)(&[vec![0.0, 0.0, 1.0]])),
            Reply::ok((protocol.body)(&[vec![1.0, 0.0, 0.0], vec![0.0, 1.0, 0.0]])),
        ])
        .await;
        let embedder = connect(&config(protocol, &server, None)).await.unwrap();
        assert_eq!(embedder.space().dimensions, 3);
        assert_eq!(embedder.space().provider.as_deref(), Some(protocol.provider));
        assert_eq!(embedder.embed(&["a", "b"]).await.unwrap().len(), 2);
        // The probe did not ask for dimensions; a configured count is sent on every request.
        assert!(server.seen()[0].body.get("dimensions").is_none());
    }
}

#[tokio::test]
async fn large_inputs_are_split_into_requests_within_the_batch_size() {
    let protocol = PROTOCOLS[0];
    let server = Scripted::start(vec![
        Reply::ok(openai_body(&[vec![1.0, 0.0], vec![1.0, 0.0]])),
        Reply::ok(openai_body(&[vec![1.0, 0.0], vec![1.0, 0.0]])),
        Reply::ok(openai_body(&[vec![0.0, 1.0]])),
    ])
    .await;
    let config = EmbeddingConfig { batch_size: Some(2), ..config(protocol, &server, Some(2)) };
    let embedder = connect(&config).await.unwrap();
    let vectors = embedder.embed(&["a", "b", "c", "d", "e"]).await.unwrap();
    assert_eq!(vectors.len(), 5);
    assert_eq!(vectors[4].as_slice(), &[0.0, 1.0]);
    let inputs: Vec<_> = server.seen().iter().map(|seen| seen.body["input"].clone()).collect();
    assert_eq!(inputs, [serde_json::json!(["a", "b"]), serde_json::json!(["c", "d"]), serde_json::json!(["e"])]);
    assert_eq!(server.seen()[0].body["dimensions"], 2);
}
