//! What a hostile or careless client can do before any handler runs, over real sockets: trickle headers
//! (slowloris), open more connections than the limit, send a foreign `Host` (DNS rebinding), post without a
//! JSON content type (cross-site forms), send oversized headers, or spell the auth scheme `BEARER`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use server::{BearerToken, ServerConfig};
use storage_chroma_shim::{EmbeddedConfig, EmbeddedStore};
use storage_core::{SearchDefaults, Stores};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TOKEN: &str = "transport-test-token-0123456789";

/// A running server over a fresh embedded store; it stops when dropped.
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

async fn start(config: ServerConfig) -> Running {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = EmbeddedStore::open(EmbeddedConfig::new(dir.path().join("store"))).expect("an embedded store opens");
    let stores = Stores::new(store);
    stores.documents.initialize().await.expect("the store migrates");
    let router = server::router(stores, SearchDefaults::default(), &config);
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

fn with_token() -> ServerConfig {
    ServerConfig { token: Some(BearerToken::new(TOKEN.to_owned()).expect("a valid token")), ..ServerConfig::default() }
}

/// Sends raw bytes on a new connection and reads until the server closes it or `wait` passes; returns the
/// status line's code (0 when nothing came back) and the body.
async fn raw(address: SocketAddr, request: &[u8], wait: Duration) -> (u16, String) {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream.write_all(request).await.expect("send");
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(wait, stream.read_to_end(&mut reply)).await;
    let reply = String::from_utf8_lossy(&reply).into_owned();
    let code = reply.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    let body = reply.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default();
    (code, body)
}

fn error_code(body: &str) -> Value {
    // A chunked body would wrap the JSON in size lines: take the JSON object itself.
    let json = body.find('{').zip(body.rfind('}')).map_or("", |(start, end)| &body[start..=end]);
    serde_json::from_str::<Value>(json).unwrap_or(Value::Null)["error"]["code"].clone()
}

#[tokio::test]
async fn a_client_that_trickles_its_headers_is_cut_off_at_the_header_read_timeout() {
    let server = start(ServerConfig { header_read_timeout_secs: 1, ..ServerConfig::default() }).await;
    let mut stream = TcpStream::connect(server.address).await.expect("connect");
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n").await.expect("send");
    let started = Instant::now();
    let mut closed_after = None;
    // One header line every 200 ms, never the blank line that ends them: the server must hang up.
    while started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut probe = [0u8; 512];
        let sent = stream.write_all(b"X-Slow: yes\r\n").await;
        let read = tokio::time::timeout(Duration::from_millis(10), stream.read(&mut probe)).await;
        if sent.is_err() || matches!(read, Ok(Ok(0)) | Ok(Err(_))) {
            closed_after = Some(started.elapsed());
            break;
        }
    }
    let closed_after = closed_after.expect("the server kept a trickling connection open for 10 s");
    assert!(closed_after < Duration::from_secs(5), "closed only after {closed_after:?}");
}

#[tokio::test]
async fn past_the_connection_limit_a_new_connection_waits_for_a_free_slot() {
    let config = ServerConfig { max_connections: 2, header_read_timeout_secs: 60, ..ServerConfig::default() };
    let server = start(config).await;
    let health = "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    let (code, _) = raw(server.address, health.as_bytes(), Duration::from_secs(5)).await;
    assert_eq!(code, 200, "one connection at a time is served");
    let first = TcpStream::connect(server.address).await.expect("connect");
    let _second = TcpStream::connect(server.address).await.expect("connect");
    // Both slots are held by silent connections: a third is not served...
    let (code, _) = raw(server.address, health.as_bytes(), Duration::from_millis(500)).await;
    assert_eq!(code, 0, "a connection past the limit was served");
    // ...until one of them goes away.
    drop(first);
    let (code, _) = raw(server.address, health.as_bytes(), Duration::from_secs(5)).await;
    assert_eq!(code, 200, "a freed slot serves the next connection");
}

#[tokio::test]
async fn without_a_token_only_loopback_host_names_are_served() {
    let server = start(ServerConfig::default()).await;
    for host in ["localhost", &format!("127.0.0.1:{}", server.address.port()), "[::1]:8000"] {
        let request = format!("GET /health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        assert_eq!(raw(server.address, request.as_bytes(), Duration::from_secs(5)).await.0, 200, "{host}");
    }
    for request in [
        "GET /collections HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n".to_owned(),
        "POST /collections HTTP/1.1\r\nHost: attacker.example:8000\r\nContent-Type: application/json\r\n\
         Content-Length: 15\r\nConnection: close\r\n\r\n{\"name\": \"x\"} "
            .to_owned(),
    ] {
        let (code, body) = raw(server.address, request.as_bytes(), Duration::from_secs(5)).await;
        assert_eq!((code, error_code(&body)), (403, json!("forbidden_host")), "{request}: {body}");
    }
    let token_server = start(with_token()).await;
    let request = format!(
        "GET /collections HTTP/1.1\r\nHost: api.example.com\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(
        raw(token_server.address, request.as_bytes(), Duration::from_secs(5)).await.0,
        200,
        "a token serves any name"
    );
}

#[tokio::test]
async fn a_post_without_a_json_content_type_changes_nothing() {
    let server = start(with_token()).await;
    let client = http_client();
    let base = format!("http://{}", server.address);
    let agents = format!("{base}/tenants/acme/agents");
    let registered = client
        .post(&agents)
        .bearer_auth(TOKEN)
        .json(&json!({"name": "worker", "kind": "code"}))
        .send()
        .await
        .expect("register");
    assert!(registered.status().is_success(), "{:?}", registered.text().await);
    let heartbeat = format!("{agents}/worker/heartbeat");
    for content_type in [None, Some("text/plain"), Some("application/x-www-form-urlencoded")] {
        let mut request = client.post(&heartbeat).bearer_auth(TOKEN);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.expect("send");
        let status = response.status().as_u16();
        let body: Value = response.json().await.expect("a JSON error");
        assert_eq!((status, body["error"]["code"].clone()), (415, json!("invalid_input")), "{content_type:?}");
    }
    let response = client
        .post(&heartbeat)
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .send()
        .await
        .expect("send");
    assert!(
        response.status().is_success(),
        "a declared JSON post without a body is served: {:?}",
        response.text().await
    );
}

#[tokio::test]
async fn oversized_headers_get_a_json_431_and_the_scheme_name_is_case_insensitive() {
    let server = start(with_token()).await;
    let big = "x".repeat(100 * 1024);
    let request = format!(
        "GET /collections HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TOKEN}\r\nX-Big: {big}\r\nConnection: close\r\n\r\n"
    );
    let (code, body) = raw(server.address, request.as_bytes(), Duration::from_secs(5)).await;
    assert_eq!((code, error_code(&body)), (431, json!("headers_too_large")), "{}", &body[..body.len().min(300)]);
    let many: String = (0..150).map(|idx| format!("X-Many-{idx}: 1\r\n")).collect();
    let request = format!("GET /health HTTP/1.1\r\nHost: localhost\r\n{many}Connection: close\r\n\r\n");
    let (code, body) = raw(server.address, request.as_bytes(), Duration::from_secs(5)).await;
    assert_eq!((code, error_code(&body)), (431, json!("headers_too_large")), "{body}");
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let request = format!(
            "GET /collections HTTP/1.1\r\nHost: localhost\r\nAuthorization: {scheme} {TOKEN}\r\nConnection: close\r\n\r\n"
        );
        assert_eq!(raw(server.address, request.as_bytes(), Duration::from_secs(5)).await.0, 200, "{scheme}");
    }
}

/// An HTTP client for the tests. In a workspace build `crates/embed` turns on reqwest's `rustls-no-provider`
/// (to keep aws-lc's C build out), and feature unification gives every reqwest in the build that setting, so
/// a client panics unless a rustls crypto provider is installed first: ring's, once per process.
fn http_client() -> reqwest::Client {
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}
