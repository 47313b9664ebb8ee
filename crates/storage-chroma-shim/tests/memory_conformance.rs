//! The storage-core memory conformance suite against real SQLite files, one temporary data dir per case.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use storage_chroma_shim::{EmbeddedConfig, EmbeddedStore};
use storage_core::DocumentStore;
use storage_core::memory::MemoryStore;
use storage_core::testing::MemoryStoreFactory;
use tempfile::TempDir;

/// Makes a store per case in its own temporary folder, kept alive (and deleted) with the factory.
#[derive(Default)]
struct EmbeddedMemoryFactory {
    dirs: Mutex<Vec<TempDir>>,
}

#[async_trait]
impl MemoryStoreFactory for EmbeddedMemoryFactory {
    async fn fresh_memory_store(&self, _case: &str) -> Arc<dyn MemoryStore> {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let store = EmbeddedStore::open(EmbeddedConfig::new(dir.path().join("data"))).expect("a valid config");
        self.dirs.lock().expect("factory lock").push(dir);
        store.initialize().await.expect("initialize a fresh store");
        Arc::new(store)
    }
}

storage_core::memory_conformance_tests!(EmbeddedMemoryFactory::default());
