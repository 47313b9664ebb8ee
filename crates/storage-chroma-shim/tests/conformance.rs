//! The storage-core conformance suite against real SQLite files, one temporary data dir per case.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use storage_chroma_shim::{EmbeddedConfig, EmbeddedStore};
use storage_core::DocumentStore;
use storage_core::testing::StoreFactory;
use tempfile::TempDir;

/// Makes a store per case in its own temporary folder, kept alive (and deleted) with the factory.
#[derive(Default)]
struct EmbeddedFactory {
    dirs: Mutex<HashMap<String, TempDir>>,
}

impl EmbeddedFactory {
    fn config(&self, case: &str) -> EmbeddedConfig {
        let dirs = self.dirs.lock().expect("factory lock");
        let dir = dirs.get(case).unwrap_or_else(|| panic!("case {case} has no store yet"));
        EmbeddedConfig::new(dir.path().join("data"))
    }
}

#[async_trait]
impl StoreFactory for EmbeddedFactory {
    async fn fresh(&self, case: &str) -> Arc<dyn DocumentStore> {
        let dir = tempfile::tempdir().expect("a temporary folder");
        self.dirs.lock().expect("factory lock").insert(case.to_owned(), dir);
        let store = EmbeddedStore::open(self.config(case)).expect("a valid config");
        store.initialize().await.expect("initialize a fresh store");
        Arc::new(store)
    }

    async fn reopen(&self, case: &str) -> Arc<dyn DocumentStore> {
        Arc::new(EmbeddedStore::open(self.config(case)).expect("a valid config"))
    }
}

storage_core::conformance_tests!(EmbeddedFactory::default());
