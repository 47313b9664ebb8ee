//! Harness of the serve tests: start the built `brainstore serve` on an ephemeral loopback port over a test store, call it over HTTP, stop it with SIGTERM.
#![allow(dead_code, unreachable_pub)] // each test file uses a different part of the harness

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{Backend, Store};

/// The token every harness server requires (the tests send it unless they test its absence).
pub const TOKEN: &str = "serve-test-token-0123456789abcdef";

/// A running server and the store under it.
pub struct Server {
    pub store: Store,
    pub base: String,
    child: Option<Child>,
    client: reqwest::Client,
    token: Option<String>,
    /// Every `(METHOD, /path/{template})` called, to compare with the OpenAPI document.
    called: Mutex<BTreeSet<(String, String)>>,
}

/// One response: status and JSON body (Null when the body is not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn status(&self, expected: u16) -> &Value {
        assert_eq!(self.status, expected, "status; body: {}", self.body);
        &self.body
    }

    /// Asserts an error response: status, code, and a message containing each of `words`.
    #[track_caller]
    pub fn error(&self, status: u16, code: &str, words: &[&str]) {
        assert_eq!(self.status, status, "status; body: {}", self.body);
        assert_eq!(self.body["error"]["code"], code, "code; body: {}", self.body);
        let message = self.body["error"]["message"].as_str().unwrap_or_default();
        for word in words {
            assert!(message.contains(word), "message lacks {word:?}: {message}");
        }
    }
}

impl Server {
    /// A server on `backend` requiring [`TOKEN`].
    pub async fn start(backend: Backend, test: &str) -> Server {
        Self::start_with(Store::new(backend, test), Some(TOKEN), &[]).await
    }

    /// A server over `store`, with `token` (set through BRAINSTORE_TOKEN) and extra global flags.
    pub async fn start_with(mut store: Store, token: Option<&str>, flags: &[&str]) -> Server {
        match token {
            Some(token) => store.set_env("BRAINSTORE_TOKEN", token),
            None => store.remove_env("BRAINSTORE_TOKEN"),
        }
        let log = std::fs::File::create(store.path("serve.log")).expect("a log file");
        let mut args = vec!["--json"];
        args.extend_from_slice(flags);
        args.extend_from_slice(&["serve", "--bind", "127.0.0.1:0"]);
        let mut child = store
            .command(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start brainstore serve");
        let stdout = child.stdout.take().expect("stdout is piped");
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        })
        .await
        .expect("the reader thread")
        .expect("read the listening line");
        let Ok(report) = serde_json::from_str::<Value>(&line) else {
            let _ = child.kill();
            let _ = child.wait();
            let log = std::fs::read_to_string(store.path("serve.log")).unwrap_or_default();
            panic!("serve printed no address: {line:?}\n--- log:\n{log}");
        };
        let base = report["url"].as_str().expect("the report names the url").to_owned();
        Server {
            store,
            base,
            child: Some(child),
            client: crate::common::http_client(),
            token: token.map(str::to_owned),
            called: Mutex::new(BTreeSet::new()),
        }
    }

    /// The server's stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.store.path("serve.log")).unwrap_or_default()
    }

    /// The process id, for signals.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Sends a request to `template` with `{name}` segments filled from `params`; the body, when given, is JSON.
    pub async fn call(&self, method: &str, template: &str, params: &[(&str, &str)], body: Option<Value>) -> Reply {
        let mut path = template.to_owned();
        for (name, value) in params {
            path = path.replace(&format!("{{{name}}}"), value);
        }
        let route = template.split('?').next().unwrap_or(template).to_owned();
        self.called.lock().expect("not poisoned").insert((method.to_owned(), route));
        let mut request = self.client.request(method.parse().expect("a method"), format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        match body {
            Some(body) => request = request.json(&body),
            // The server refuses a write that does not declare JSON, body or not (cross-site form posts).
            None if matches!(method, "POST" | "PUT") => {
                request = request.header("content-type", "application/json");
            }
            None => {}
        }
        self.send(request).await
    }

    /// Sends a raw request to `path` (no recording): the caller sets headers and body.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        configure: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Reply {
        let request = self.client.request(method.parse().expect("a method"), format!("{}{path}", self.base));
        self.send(configure(request)).await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status >= 400 {
            assert!(body["error"]["code"].is_string(), "an error that is not in the JSON shape: {status} {text}");
        }
        Reply { status, body, headers }
    }

    /// Every route called so far.
    pub fn called(&self) -> BTreeSet<(String, String)> {
        self.called.lock().expect("not poisoned").clone()
    }

    /// Sends SIGTERM and waits for the process to exit; returns its exit code.
    pub fn stop(&mut self) -> i32 {
        let Some(mut child) = self.child.take() else { return 0 };
        terminate(child.id());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().expect("wait for serve") {
                return status.code().unwrap_or(-1);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("serve did not stop within 20 s of SIGTERM\n--- log:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            terminate(child.id());
            let deadline = Instant::now() + Duration::from_secs(10);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// SIGTERM through `kill(1)`: the tests forbid unsafe code, and a signal needs no more.
pub fn terminate(pid: u32) {
    let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
}

/// Defines each async test twice, once per backend, in modules `embedded` and `postgres`, with a started
/// server named by the pattern.
#[macro_export]
macro_rules! serve_tests {
    ($(async fn $name:ident($server:ident) $body:block)*) => {
        mod embedded {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    #[allow(unused_mut)]
                    let mut $server = $crate::serve_harness::Server::start(
                        $crate::common::Backend::Embedded, stringify!($name)).await;
                    $body
                }
            )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    #[allow(unused_mut)]
                    let mut $server = $crate::serve_harness::Server::start(
                        $crate::common::Backend::Postgres, stringify!($name)).await;
                    $body
                }
            )*
        }
    };
}

/// Four chunks on 3 dimensions: the same fixture as the CLI tests, as JSON values.
pub fn fixture_chunks() -> Vec<Value> {
    crate::common::fixture_lines().lines().map(|line| serde_json::from_str(line).expect("a fixture line")).collect()
}
