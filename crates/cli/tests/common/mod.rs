//! Shared harness of the cli tests: run the built `brainstore` binary in a temporary folder against either backend, and read its exit code and both streams.
#![allow(dead_code, unreachable_pub)] // each test file uses a different part of the harness

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::Value;
use tempfile::TempDir;

/// An HTTP client for the tests. In a workspace build `crates/embed` turns on reqwest's `rustls-no-provider`
/// (to keep aws-lc's C build out), and feature unification gives every reqwest in the build that setting, so
/// a client panics unless a rustls crypto provider is installed first: ring's, once per process.
pub fn http_client() -> reqwest::Client {
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_brainstore");

/// Which backend a test store lives on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Embedded,
    Postgres,
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// Asserts the exit code, showing both streams when it differs.
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Self {
        assert_eq!(self.code, expected, "exit code\n--- stdout:\n{}\n--- stderr:\n{}", self.stdout, self.stderr);
        self
    }

    /// Asserts success.
    #[track_caller]
    pub fn ok(&self) -> &Self {
        self.code(0)
    }

    /// Asserts that stderr contains `text`.
    #[track_caller]
    pub fn stderr_has(&self, text: &str) -> &Self {
        assert!(self.stderr.contains(text), "stderr lacks {text:?}\n--- stderr:\n{}", self.stderr);
        self
    }

    /// Asserts that stdout contains `text`.
    #[track_caller]
    pub fn stdout_has(&self, text: &str) -> &Self {
        assert!(self.stdout.contains(text), "stdout lacks {text:?}\n--- stdout:\n{}", self.stdout);
        self
    }

    /// Asserts that stdout is empty (a failed command prints no results).
    #[track_caller]
    pub fn no_stdout(&self) -> &Self {
        assert!(self.stdout.is_empty(), "stdout should be empty:\n{}", self.stdout);
        self
    }

    /// stdout parsed as exactly one JSON document.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", self.stdout))
    }

    /// stdout parsed as JSON lines.
    #[track_caller]
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}")))
            .collect()
    }
}

/// A store for one test: a temporary working folder (holding the embedded data, or nothing on
/// PostgreSQL where a fresh schema isolates it) and the environment that selects it.
pub struct Store {
    pub backend: Backend,
    dir: TempDir,
    env: Vec<(String, String)>,
}

static SEQUENCE: AtomicU32 = AtomicU32::new(0);

/// A schema name no other test, or earlier run, uses (storage-postgres allows 40 characters).
pub fn unique_schema(test: &str) -> String {
    let clean: String =
        test.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).take(22).collect();
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let sequence = u128::from(SEQUENCE.fetch_add(1, Ordering::Relaxed));
    let mixed = (u128::from(std::process::id()) << 80) ^ nanos ^ (sequence << 64);
    format!("t_{clean}_{:012x}", (mixed ^ (mixed >> 48)) & 0xffff_ffff_ffff)
}

/// The PostgreSQL test server's URL (`cargo xtask test` sets it; a missing one fails the test).
pub fn database_url() -> String {
    storage_postgres::testing::test_database_url(storage_postgres::testing::TestServer::Current)
}

impl Store {
    /// A fresh store on `backend`; `test` names the PostgreSQL schema.
    pub fn new(backend: Backend, test: &str) -> Store {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut env = vec![("BRAINSTORE_BACKEND".to_owned(), backend_name(backend).to_owned())];
        match backend {
            Backend::Embedded => {
                env.push(("BRAINSTORE_DATA_DIR".to_owned(), dir.path().join("store").display().to_string()));
            }
            Backend::Postgres => {
                env.push(("DATABASE_URL".to_owned(), database_url()));
                env.push(("BRAINSTORE__POSTGRES__SCHEMA".to_owned(), unique_schema(test)));
                // Many tests run at once against one server: keep each process's pool small.
                env.push(("BRAINSTORE__POSTGRES__POOL_SIZE".to_owned(), "2".to_owned()));
                env.push(("BRAINSTORE__POSTGRES__POOL_MAX_OVERFLOW".to_owned(), "2".to_owned()));
                // The test server is up before any test starts: a failed connection is a real failure, so
                // report it in a fraction of a second instead of after the default 15 s of retries.
                env.push(("BRAINSTORE__POSTGRES__CONNECT_ATTEMPTS".to_owned(), "2".to_owned()));
                env.push(("BRAINSTORE__POSTGRES__CONNECT_BACKOFF_MS".to_owned(), "100".to_owned()));
            }
        }
        Store { backend, dir, env }
    }

    /// A store on the embedded backend.
    pub fn embedded(test: &str) -> Store {
        Store::new(Backend::Embedded, test)
    }

    /// A store on the PostgreSQL test server, in a schema of its own.
    pub fn postgres(test: &str) -> Store {
        Store::new(Backend::Postgres, test)
    }

    /// The working folder the binary runs in.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the working folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file in the working folder; returns its path.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("write a test file");
        path
    }

    /// Sets (or replaces) an environment variable for every later run.
    pub fn set_env(&mut self, name: &str, value: &str) {
        self.env.retain(|(existing, _)| existing != name);
        self.env.push((name.to_owned(), value.to_owned()));
    }

    /// Removes an environment variable from every later run.
    pub fn remove_env(&mut self, name: &str) {
        self.env.retain(|(existing, _)| existing != name);
    }

    /// The value of a variable of this store's environment.
    pub fn env(&self, name: &str) -> Option<&str> {
        self.env.iter().find(|(existing, _)| existing == name).map(|(_, value)| value.as_str())
    }

    /// The command, in the working folder, with only this store's environment (nothing leaks in from
    /// the test process: no DATABASE_URL, no BRAINSTORE_*).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command.args(args).current_dir(self.dir.path()).env_clear().envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Runs the binary with `args`.
    pub fn run(&self, args: &[&str]) -> Outcome {
        self.run_with_stdin(args, None)
    }

    /// Runs the binary with `args`, feeding `stdin`.
    pub fn run_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Outcome {
        let mut command = self.command(args);
        command.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("run brainstore");
        if let Some(text) = stdin {
            let mut pipe = child.stdin.take().expect("stdin is piped");
            pipe.write_all(text.as_bytes()).expect("write stdin");
        }
        let output = child.wait_with_output().expect("wait for brainstore");
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs with `--json`, asserts success and parses stdout.
    #[track_caller]
    pub fn json(&self, args: &[&str]) -> Value {
        let mut with_json = vec!["--json"];
        with_json.extend_from_slice(args);
        let outcome = self.run(&with_json);
        outcome.ok();
        outcome.json()
    }

    /// `init --dimensions N` (asserting success).
    #[track_caller]
    pub fn init(&self, dimensions: u32) {
        self.run(&["init", "--dimensions", &dimensions.to_string()]).ok();
    }

    /// Ingests JSON lines (asserting success).
    #[track_caller]
    pub fn ingest(&self, lines: &str) -> Value {
        let path = self.write("ingest.jsonl", lines);
        self.json(&["ingest", path.to_str().expect("utf-8 path")])
    }

    /// The collection's count.
    #[track_caller]
    pub fn count(&self) -> u64 {
        self.json(&["count"])["count"].as_u64().expect("count is a number")
    }

    /// Every record of every collection, as `export` writes them: what "the store is unchanged" compares.
    #[track_caller]
    /// The collections that have an HNSW index in this store's PostgreSQL schema, sorted.
    pub fn vector_indexes(&self) -> Vec<String> {
        assert_eq!(self.backend, Backend::Postgres, "vector indexes are a PostgreSQL matter");
        let schema = self.env("BRAINSTORE__POSTGRES__SCHEMA").expect("a schema").to_owned();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        runtime.block_on(async {
            use sqlx::Connection;
            let mut connection = sqlx::PgConnection::connect(&database_url()).await.expect("connect");
            sqlx::query_scalar(
                "SELECT substring(indexname FROM '^bs_chunks_(.*)_embedding$') FROM pg_indexes \
                 WHERE schemaname = $1 AND indexname ~ '^bs_chunks_.*_embedding$' ORDER BY 1",
            )
            .bind(schema)
            .fetch_all(&mut connection)
            .await
            .expect("pg_indexes")
        })
    }

    pub fn snapshot(&self) -> Vec<Value> {
        let outcome = self.run(&["export"]);
        outcome.ok();
        outcome.json_lines()
    }
}

fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Embedded => "embedded",
        Backend::Postgres => "postgres",
    }
}

/// Unit vectors of `dimensions` with a 1 at `axis`: results whose order is obvious.
pub fn one_hot(dimensions: usize, axis: usize) -> Vec<f32> {
    let mut vector = vec![0.0; dimensions];
    vector[axis % dimensions] = 1.0;
    vector
}

/// A chunk line `{"id","text","metadata","embedding"}`.
pub fn chunk_line(id: &str, text: &str, metadata: Value, embedding: Option<&[f32]>) -> String {
    let mut object = serde_json::json!({ "id": id, "text": text, "metadata": metadata });
    if let Some(embedding) = embedding {
        object["embedding"] = serde_json::json!(embedding);
    }
    object.to_string()
}

/// Four chunks on 3 dimensions with one-hot-ish embeddings and metadata to filter on.
pub fn fixture_lines() -> String {
    [
        chunk_line(
            "a",
            "the quick brown fox",
            serde_json::json!({"kind": "animal", "year": 2020, "path": "docs/a.md"}),
            Some(&[1.0, 0.0, 0.0]),
        ),
        chunk_line(
            "b",
            "a lazy dog sleeps",
            serde_json::json!({"kind": "animal", "year": 2021, "path": "docs/b.md"}),
            Some(&[0.0, 1.0, 0.0]),
        ),
        chunk_line(
            "c",
            "rust ownership and borrowing",
            serde_json::json!({"kind": "code", "year": 2022, "path": "src/c.rs"}),
            Some(&[0.0, 0.0, 1.0]),
        ),
        chunk_line(
            "d",
            "the fox and the dog",
            serde_json::json!({"kind": "animal", "year": 2023, "path": "docs/d.md"}),
            Some(&[0.7, 0.7, 0.0]),
        ),
    ]
    .join("\n")
        + "\n"
}

/// Defines each test twice, once per backend, in modules `embedded` and `postgres`:
///
/// ```ignore
/// both_backends! {
///     fn count_counts(store) { store.init(3); assert_eq!(store.count(), 0); }
/// }
/// ```
#[macro_export]
macro_rules! both_backends {
    ($(fn $name:ident($store:ident) $body:block)*) => {
        mod embedded {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $name() {
                    let $store = $crate::common::Store::new($crate::common::Backend::Embedded, stringify!($name));
                    $body
                }
            )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $name() {
                    let $store = $crate::common::Store::new($crate::common::Backend::Postgres, stringify!($name));
                    $body
                }
            )*
        }
    };
}
