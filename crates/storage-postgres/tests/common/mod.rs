//! Helpers shared by this crate's tests: a fresh PostgreSQL schema per test on a real test server.

#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use storage_core::DocumentStore;
use storage_core::memory::MemoryStore;
use storage_core::testing::{MemoryStoreFactory, SessionStoreFactory, SessionStores, StoreFactory};
use storage_postgres::testing::{TestServer, test_database_url};
use storage_postgres::{PostgresConfig, PostgresStore};

/// A schema name unique to this run: `t_<label>_<random hex>`, at most 40 characters.
pub fn unique_schema(label: &str) -> String {
    let random = RandomState::new().hash_one((std::process::id(), std::time::SystemTime::now()));
    let label: String = label.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(24).collect();
    format!("t_{}_{:012x}", label.to_ascii_lowercase(), random & 0xffff_ffff_ffff)
}

/// A config for `server`, in `schema`, with a small pool (many tests run at once).
pub fn config(server: TestServer, schema: &str) -> PostgresConfig {
    let mut config = PostgresConfig::from_database_url(&test_database_url(server))
        .unwrap_or_else(|error| panic!("{} is not a usable URL: {error}", server.url_variable()));
    config.schema = schema.to_owned();
    config.pool_size = 2;
    config.pool_max_overflow = 6;
    config.ssl_mode = storage_postgres::SslMode::Disable;
    // The test server is up before any test starts: a failed connection is a real failure, so report it
    // in a fraction of a second instead of after the default 15 s of retries.
    config.connect_attempts = 2;
    config.connect_backoff_ms = 100;
    config
}

/// Connects and initializes a store.
pub async fn open(config: PostgresConfig) -> PostgresStore {
    let store = PostgresStore::connect(config).await.unwrap_or_else(|error| panic!("cannot connect: {error}"));
    store.initialize().await.unwrap_or_else(|error| panic!("cannot initialize: {error}"));
    store
}

/// The conformance factory: each case gets its own schema; `reopen` opens a new store on it.
pub struct PgFactory {
    server: TestServer,
    schemas: Mutex<HashMap<String, String>>,
}

impl PgFactory {
    pub fn new(server: TestServer) -> Self {
        PgFactory { server, schemas: Mutex::new(HashMap::new()) }
    }
}

#[async_trait]
impl StoreFactory for PgFactory {
    async fn fresh(&self, case: &str) -> Arc<dyn DocumentStore> {
        let schema = unique_schema(case);
        self.schemas
            .lock()
            .expect("no test panicked while holding the schema map")
            .insert(case.to_owned(), schema.clone());
        Arc::new(open(config(self.server, &schema)).await)
    }

    async fn reopen(&self, case: &str) -> Arc<dyn DocumentStore> {
        let schema = self
            .schemas
            .lock()
            .expect("no test panicked while holding the schema map")
            .get(case)
            .cloned()
            .expect("reopen follows fresh");
        Arc::new(open(config(self.server, &schema)).await)
    }
}

impl PgFactory {
    /// The schema `fresh` made for `case`.
    fn schema_of(&self, case: &str) -> String {
        self.schemas
            .lock()
            .expect("no test panicked while holding the schema map")
            .get(case)
            .cloned()
            .expect("another handle follows fresh")
    }

    /// A fresh schema for `case`, remembered for `another_handle`.
    fn new_schema(&self, case: &str) -> String {
        let schema = unique_schema(case);
        self.schemas
            .lock()
            .expect("no test panicked while holding the schema map")
            .insert(case.to_owned(), schema.clone());
        schema
    }
}

fn session_stores(store: PostgresStore) -> SessionStores {
    let store = Arc::new(store);
    SessionStores { sessions: store.clone(), tasks: store }
}

#[async_trait]
impl SessionStoreFactory for PgFactory {
    async fn fresh_session_store(&self, case: &str) -> SessionStores {
        session_stores(open(config(self.server, &self.new_schema(case))).await)
    }

    async fn another_handle(&self, case: &str) -> SessionStores {
        session_stores(open(config(self.server, &self.schema_of(case))).await)
    }
}

#[async_trait]
impl MemoryStoreFactory for PgFactory {
    async fn fresh_memory_store(&self, case: &str) -> Arc<dyn MemoryStore> {
        Arc::new(open(config(self.server, &self.new_schema(case))).await)
    }
}

/// A loopback port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("a bound listener has an address").port()
}
