//! `brainstore serve` start-up policy and hygiene: no network without a token, no password in any response or log line, a redacted token in `config show`, the request timeout, and a graceful stop on SIGTERM.
#![cfg(feature = "server")] // `serve` exists only in builds with the HTTP server

mod common;
mod serve_harness;

use std::time::{Duration, Instant};

use common::{Backend, Store, database_url};
use serde_json::{Value, json};
use serve_harness::{Server, TOKEN, terminate};

const PASSWORD: &str = "p@ss:word/123";
const ENCODED: &str = "p%40ss%3Aword%2F123";

#[test]
fn a_non_loopback_bind_without_a_token_refuses_to_start() {
    let store = Store::embedded("refuse");
    for bind in ["0.0.0.0:0", "[::]:0"] {
        let outcome = store.run(&["serve", "--bind", bind]);
        outcome.code(2).no_stdout().stderr_has("refusing to listen").stderr_has("BRAINSTORE_TOKEN");
    }
    let mut configured = Store::embedded("refuse_yaml");
    configured.write("brainstore.yaml", "server:\n  bind: 0.0.0.0:0\n");
    configured.run(&["serve"]).code(2).no_stdout().stderr_has("refusing to listen");
    configured.set_env("BRAINSTORE__SERVER__BIND", "127.0.0.1:notaport");
    configured.run(&["serve"]).code(2).no_stdout().stderr_has("--bind");
}

#[test]
fn a_short_token_or_an_unknown_server_key_is_a_usage_error() {
    let mut store = Store::embedded("short_token");
    store.run(&["serve", "--token", "secret"]).code(2).no_stdout().stderr_has("at least 16");
    store.set_env("BRAINSTORE_TOKEN", "secret");
    store.run(&["serve"]).code(2).no_stdout().stderr_has("server.token").stderr_has("at least 16");
    store.remove_env("BRAINSTORE_TOKEN");
    store.write("brainstore.yaml", "server:\n  bind: 127.0.0.1:0\n  tokn: x\n");
    store.run(&["serve"]).code(2).no_stdout().stderr_has("tokn");
}

#[test]
fn config_show_lists_the_server_section_with_the_token_redacted() {
    let mut store = Store::embedded("config_token");
    store.set_env("BRAINSTORE_TOKEN", TOKEN);
    let outcome = store.run(&["--json", "config", "show"]);
    outcome.ok();
    assert!(!outcome.stdout.contains(TOKEN) && !outcome.stderr.contains(TOKEN), "{}", outcome.stdout);
    let config = outcome.json();
    assert_eq!(config["config"]["server"]["token"], "********");
    assert_eq!(config["config"]["server"]["bind"], "127.0.0.1:8000");
    let row = config["values"].as_array().expect("rows").iter().find(|row| row["key"] == "server.token").cloned();
    assert_eq!(row.map(|row| row["source"].clone()), Some(json!("env BRAINSTORE_TOKEN")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_opens_a_non_loopback_bind() {
    let mut store = Store::embedded("open_bind");
    store.set_env("BRAINSTORE_TOKEN", TOKEN);
    let log = std::fs::File::create(store.path("serve.log")).expect("a log file");
    let mut child = store
        .command(&["--json", "serve", "--bind", "0.0.0.0:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("start serve");
    let stdout = child.stdout.take().expect("piped");
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).map(|_| line)
    })
    .await
    .expect("reader")
    .expect("a line");
    let report: Value = serde_json::from_str(&line).expect("the listening report");
    assert_eq!(report["auth"], "bearer");
    let port = report["listening"].as_str().and_then(|a| a.rsplit(':').next()).expect("a port").to_owned();
    let status = common::http_client()
        .get(format!("http://127.0.0.1:{port}/health/status"))
        .send()
        .await
        .expect("answers")
        .status();
    assert_eq!(status, 401);
    terminate(child.id());
    assert!(child.wait().expect("exits").success());
}

/// The test server's URL with the password in its user info (the test server trusts local connections).
fn url_with_password() -> String {
    let url = database_url();
    let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
    let (user_info, host) = rest.split_once('@').expect("the test URL names a user");
    let user = user_info.split(':').next().unwrap_or(user_info);
    format!("{scheme}://{user}:{ENCODED}@{host}")
}

#[track_caller]
fn assert_clean(what: &str, text: &str) {
    for secret in [PASSWORD, ENCODED, "p@ss", "word/123", "postgres://", "postgresql://"] {
        assert!(!text.contains(secret), "{what} shows `{secret}`:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_response_or_log_line_shows_the_password_or_the_url() {
    let mut store = Store::postgres("serve_secrets");
    store.set_env("DATABASE_URL", &url_with_password());
    let server = Server::start_with(store, Some(TOKEN), &["-vvv"]).await;
    server
        .call("POST", "/collections", &[], Some(json!({"name": "docs", "embedding": {"dimensions": 3}})))
        .await
        .status(201);
    for path in [
        "/health",
        "/health/status",
        "/health/postgres",
        "/openapi.json",
        "/collections",
        "/collections/docs",
        "/collections/docs/count",
        "/tenants/acme/tasks/stats",
        "/no/route",
    ] {
        let reply = server.call("GET", path, &[], None).await;
        assert!(reply.status < 500, "{path}: {reply:?}");
        assert_clean(path, &reply.body.to_string());
    }
    let failing = server.call("POST", "/collections/docs/query", &[], Some(json!({"embedding": [1.0]}))).await;
    assert_clean("an error", &failing.body.to_string());
    let postgres = server.call("GET", "/health/postgres", &[], None).await;
    assert_eq!(postgres.status(200)["database"]["host"], "127.0.0.1");
    let log = server.log();
    assert!(log.contains("started processing request"), "-vvv logs requests:\n{log}");
    assert_clean("the server log", &log);
    assert!(!log.contains(TOKEN), "the log shows the token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_in_flight_request_finish() {
    let mut server = Server::start_with(Store::new(Backend::Embedded, "graceful"), Some(TOKEN), &["-v"]).await;
    server
        .call("POST", "/collections", &[], Some(json!({"name": "docs", "embedding": {"dimensions": 64}})))
        .await
        .status(201);
    // A batch large enough to still be running when the signal arrives: the log proves the order.
    let chunks: Vec<Value> = (0..10_000)
        .map(|idx| json!({"id": format!("c{idx}"), "text": format!("chunk number {idx}"), "embedding": (0..64).map(|d| ((idx * 7 + d) % 13) as f32).collect::<Vec<_>>()}))
        .collect();
    let client = crate::common::http_client();
    let upsert =
        client.post(format!("{}/collections/docs/documents", server.base)).bearer_auth(TOKEN).json(&chunks).send();
    let in_flight = tokio::spawn(upsert);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !server.log().contains("path=/collections/docs/documents") {
        assert!(Instant::now() < deadline, "the upsert never started:\n{}", server.log());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    terminate(server.pid());
    let response = in_flight.await.expect("the request task").expect("the in-flight request gets its answer");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["inserted"], 10_000);
    assert_eq!(server.stop(), 0);
    let log = server.log();
    let signal = log.find("shutting down").expect("the shutdown is logged");
    let finished = log.rfind("status=200").expect("the upsert's response is logged");
    assert!(signal < finished, "the upsert finished after the signal:\n{log}");
    assert!(log.contains("stopped"), "{log}");
    let refused = reqwest::get(format!("{}/health", server.base)).await;
    assert!(refused.is_err(), "nothing listens after the stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_over_the_timeout_answers_503_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut store = Store::embedded("timeout");
    store.set_env("BRAINSTORE__SERVER__REQUEST_TIMEOUT_SECS", "1");
    let server = Server::start_with(store, Some(TOKEN), &[]).await;
    // A body that never arrives in full: the handler waits for it until the timeout answers.
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.expect("connects");
    let head = format!(
        "POST /collections/docs/query HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"text\": "
    );
    stream.write_all(head.as_bytes()).await.expect("writes");
    let started = Instant::now();
    let mut response = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response)).await;
    assert!(read.is_ok(), "the server answered within 10 s");
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("\"code\":\"timeout\"") && text.contains("1 s"), "{text}");
    assert!(started.elapsed() >= Duration::from_millis(900), "answered before the timeout: {text}");
}
