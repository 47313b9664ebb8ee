//! The process's vector indexes, one per collection, checked against the collection's change counter on
//! every search and patched in place by this process's own commits. The store's memory vectors are one more
//! index, in a cache of their own (`memory/vectors.rs`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use crate::ops::upsert::VectorDelta;
use crate::vector_index::VectorIndex;

/// A shared, lockable index.
pub(crate) type SharedIndex = Arc<RwLock<VectorIndex>>;

#[derive(Debug, Default)]
pub(crate) struct IndexCache {
    indexes: Mutex<HashMap<i64, SharedIndex>>,
}

impl IndexCache {
    fn map(&self) -> MutexGuard<'_, HashMap<i64, SharedIndex>> {
        // A panic while holding the lock leaves a map that is still consistent (inserts and removes only).
        self.indexes.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The index of the collection if it is current: same collection instance, same change count.
    pub(crate) fn current(&self, collection_id: i64, uid: &str, version: i64) -> Option<SharedIndex> {
        let index = self.map().get(&collection_id).cloned()?;
        let is_current = index.read().is_ok_and(|i| i.uid == uid && i.version == version);
        is_current.then_some(index)
    }

    /// The index under `key`, whatever its version.
    pub(crate) fn get(&self, key: i64) -> Option<SharedIndex> {
        self.map().get(&key).cloned()
    }

    pub(crate) fn insert(&self, collection_id: i64, index: VectorIndex) -> SharedIndex {
        let shared = Arc::new(RwLock::new(index));
        self.map().insert(collection_id, Arc::clone(&shared));
        shared
    }

    pub(crate) fn forget(&self, collection_id: i64) {
        self.map().remove(&collection_id);
    }

    pub(crate) fn clear(&self) {
        self.map().clear();
    }

    /// Applies a committed change when the index is exactly one change behind; otherwise drops the index so
    /// the next search reloads it (another process or task committed in between).
    pub(crate) fn apply(&self, delta: VectorDelta) {
        let Some(index) = self.map().get(&delta.collection_id).cloned() else { return };
        let applied = match index.write() {
            Ok(mut index) if index.uid == delta.uid && index.version + 1 == delta.version => {
                for (pk, vector) in &delta.changes {
                    index.apply(*pk, vector.as_deref());
                }
                index.version = delta.version;
                true
            }
            _ => false,
        };
        if !applied {
            self.forget(delta.collection_id);
        }
    }
}
