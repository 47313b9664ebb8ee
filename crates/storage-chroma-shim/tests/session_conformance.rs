//! The storage-core session and task-queue conformance suites against real SQLite files, a data dir per case.

// `another_handle` opens the same data dir again, with its own connection pool, as another process would.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use storage_chroma_shim::{EmbeddedConfig, EmbeddedStore};
use storage_core::DocumentStore;
use storage_core::testing::{SessionStoreFactory, SessionStores};
use tempfile::TempDir;

/// Makes a store per case in its own temporary folder, kept alive (and deleted) with the factory.
#[derive(Default)]
struct EmbeddedSessionFactory {
    dirs: Mutex<HashMap<String, TempDir>>,
}

impl EmbeddedSessionFactory {
    fn open(&self, case: &str) -> Arc<EmbeddedStore> {
        let dirs = self.dirs.lock().expect("factory lock");
        let dir = dirs.get(case).unwrap_or_else(|| panic!("case {case} has no store yet"));
        Arc::new(EmbeddedStore::open(EmbeddedConfig::new(dir.path().join("data"))).expect("a valid config"))
    }
}

fn stores(store: Arc<EmbeddedStore>) -> SessionStores {
    SessionStores { sessions: store.clone(), tasks: store }
}

#[async_trait]
impl SessionStoreFactory for EmbeddedSessionFactory {
    async fn fresh_session_store(&self, case: &str) -> SessionStores {
        let dir = tempfile::tempdir().expect("a temporary folder");
        self.dirs.lock().expect("factory lock").insert(case.to_owned(), dir);
        let store = self.open(case);
        store.initialize().await.expect("initialize a fresh store");
        stores(store)
    }

    async fn another_handle(&self, case: &str) -> SessionStores {
        stores(self.open(case))
    }
}

storage_core::session_conformance_tests!(EmbeddedSessionFactory::default());
