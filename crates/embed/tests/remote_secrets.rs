//! The API key reaches the server and nothing else: no error, `Debug`, log line or output stream.
//!
//! Setting an environment variable in a running test is `unsafe` (edition 2024), so the test runs itself
//! again as a child process with the key in its environment: the child exercises every path (success,
//! client error, retries, a refused connection, `Debug` of everything) with tracing at TRACE on stderr, and
//! the parent checks the child's streams and what the server received.

mod scripted;

use std::process::Command;

use embed::{EmbeddingConfig, connect};
use scripted::{Reply, Scripted, openai_body};

const KEY_VARIABLE: &str = "BRAINSTORE_TEST_EMBED_KEY";
const KEY: &str = "sk-test-p@ss:word/123";
const TEST_NAME: &str = "the_api_key_appears_in_no_output";

#[test]
fn the_api_key_appears_in_no_output() {
    if std::env::var(KEY_VARIABLE).is_ok() {
        child();
    } else {
        parent();
    }
}

/// Runs this test again with the key set and inspects everything it wrote.
#[allow(clippy::unwrap_used)] // part of the test above
fn parent() {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([TEST_NAME, "--exact", "--nocapture", "--test-threads", "1"])
        .env(KEY_VARIABLE, KEY)
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the child failed:\n{stdout}\n{stderr}");
    // The child printed what it saw; make sure it really ran every path.
    for marker in ["server received the key", "answered 401", "unavailable after", "RemoteEmbedder"] {
        assert!(stdout.contains(marker), "the child's output lacks `{marker}`:\n{stdout}");
    }
    assert!(stderr.contains("retrying"), "no log line reached stderr:\n{stderr}");
    for (stream, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(!text.contains(KEY), "the key leaked on {stream}:\n{text}");
        assert!(!text.contains("p@ss:word"), "part of the key leaked on {stream}:\n{text}");
    }
}

/// The scenario, with the key in the environment.
#[allow(clippy::unwrap_used, clippy::print_stdout)] // part of the test above; it prints what the parent checks
fn child() {
    tracing_subscriber::fmt().with_env_filter("trace").with_writer(std::io::stderr).init();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let server = Scripted::start(vec![
            Reply::ok(openai_body(&[vec![1.0, 0.0]])),
            Reply::status(500, r#"{"error":{"message":"hiccup"}}"#),
            Reply::status(401, r#"{"error":{"message":"invalid key"}}"#),
        ])
        .await;
        let config = EmbeddingConfig {
            base_url: Some(format!("{}/v1", server.base_url)),
            api_key_env: Some(KEY_VARIABLE.into()),
            dimensions: Some(2),
            max_retries: Some(1),
            ..EmbeddingConfig::new("openai", "m")
        };
        println!("config: {config:?}");
        let embedder = connect(&config).await.unwrap();
        println!("embedder: {embedder:?}");
        let vectors = embedder.embed(&["ok"]).await.unwrap();
        println!("vectors: {vectors:?}");
        let err = embedder.embed(&["rejected"]).await.unwrap_err();
        println!("error: {err}\nerror debug: {err:?}");
        let seen = server.seen();
        assert!(seen.iter().all(|request| request.head.contains(&format!("Bearer {KEY}"))));
        println!("server received the key in {} requests", seen.len());

        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let refused =
            EmbeddingConfig { base_url: Some(format!("http://127.0.0.1:{port}/v1")), dimensions: None, ..config };
        let err = connect(&refused).await.map(|_| ()).unwrap_err();
        println!("error: {err}\nerror debug: {err:?}");
        let err = storage_core::StorageError::from(err);
        println!("storage error: {err}\nstorage error debug: {err:?}");
    });
}
