//! `Stores`: every protocol of one backend, as `Arc`s on the same object, for callers that serve them all
//! (the command line, the HTTP server).

use std::fmt;
use std::sync::Arc;

use crate::memory::MemoryStore;
use crate::session::SessionStore;
use crate::store::DocumentStore;
use crate::task::TaskQueue;

/// One backend behind all four protocols.
#[derive(Clone)]
pub struct Stores {
    /// Chunks in collections.
    pub documents: Arc<dyn DocumentStore>,
    /// Agent memory.
    pub memories: Arc<dyn MemoryStore>,
    /// Sessions, messages, artifacts, agents.
    pub sessions: Arc<dyn SessionStore>,
    /// The task queue.
    pub tasks: Arc<dyn TaskQueue>,
}

impl Stores {
    /// The four views of one backend object.
    pub fn new<S>(store: S) -> Self
    where
        S: DocumentStore + MemoryStore + SessionStore + TaskQueue,
    {
        let store = Arc::new(store);
        Stores { documents: store.clone(), memories: store.clone(), sessions: store.clone(), tasks: store }
    }
}

impl fmt::Debug for Stores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stores").field("backend", &self.documents.backend()).finish()
    }
}
