//! The `DocumentStore` trait: the protocol every backend implements.

use std::fmt;

use async_trait::async_trait;

use crate::collection::{CollectionInfo, CollectionName};
use crate::document::{Chunk, StoredChunk, UpsertSummary};
use crate::embedding::EmbeddingSpace;
use crate::filter::Filter;
use crate::get::{FetchedChunk, GetRequest};
use crate::health::HealthReport;
use crate::search::{SearchHit, SearchRequest};

/// The most chunks one [`DocumentStore::list`] call returns.
pub const MAX_LIST_LIMIT: usize = 10_000;

/// A page of chunks in id order, for export and copy.
#[derive(Clone, Debug, PartialEq)]
pub struct ListRequest {
    /// Return chunks whose id sorts after this one (bytewise); `None` starts at the beginning.
    pub after_id: Option<String>,
    /// At most this many chunks (1 to [`MAX_LIST_LIMIT`]).
    pub limit: usize,
    /// Only chunks matching this filter.
    pub filter: Option<Filter>,
}

impl ListRequest {
    /// The first page of `limit` chunks.
    pub fn first(limit: usize) -> Self {
        ListRequest { after_id: None, limit, filter: None }
    }

    /// The page after `last_id`.
    #[must_use]
    pub fn after(mut self, last_id: impl Into<String>) -> Self {
        self.after_id = Some(last_id.into());
        self
    }

    /// Checks the limit and the filter.
    pub fn validate(&self) -> crate::Result<()> {
        crate::check_range("limit", self.limit, 1, MAX_LIST_LIMIT)?;
        self.filter.as_ref().map_or(Ok(()), Filter::validate)
    }
}

/// One versioned schema migration of a store.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MigrationInfo {
    /// 1-based position in the backend's migration list; `migrate down --to N` keeps 1..=N.
    pub version: u32,
    /// The migration's name, e.g. `m20261124_000001_create_collections`.
    pub name: String,
    /// Whether it is applied.
    pub applied: bool,
}

/// A store of chunks in named collections, searched by vector, keyword or both.
///
/// Every backend implements it with the same observable behaviour, which the conformance suite in
/// `storage_core::testing` (feature `testing`) checks against a real database. Use it as `Arc<dyn DocumentStore>`.
///
/// Every operation on a collection validates its input with core's checks before touching data, so a
/// failed call leaves the store as it was. Operations on a collection that does not exist fail with
/// [`crate::StorageError::NotInitialized`], except [`DocumentStore::delete_ids`] with no ids.
#[async_trait]
pub trait DocumentStore: Send + Sync + fmt::Debug + 'static {
    /// `embedded` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Creates or migrates the store's schema to the latest version. Idempotent; safe to run from two
    /// processes at once.
    async fn initialize(&self) -> crate::Result<()>;

    /// Every migration the backend knows, in order, and whether each is applied.
    async fn migrations(&self) -> crate::Result<Vec<MigrationInfo>>;

    /// Applies pending migrations up to version `to` (all when `None`); returns the ones applied now.
    async fn migrate_up(&self, to: Option<u32>) -> crate::Result<Vec<MigrationInfo>>;

    /// Reverts applied migrations above version `to`, newest first; returns the ones reverted. Reverting
    /// a migration drops what it created, data included; `to = 0` leaves an empty schema.
    async fn migrate_down(&self, to: u32) -> crate::Result<Vec<MigrationInfo>>;

    /// Creates a collection, optionally with its embedding space. Idempotent: an existing collection is
    /// returned when `space` is `None` or compatible (a missing space is recorded, and so is a provider or
    /// model the recorded space left unspecified, see [`EmbeddingSpace::completed_by`]); an incompatible
    /// space fails with `DimensionMismatch` or `ModelMismatch`.
    async fn create_collection(
        &self,
        name: &CollectionName,
        space: Option<&EmbeddingSpace>,
    ) -> crate::Result<CollectionInfo>;

    /// Every collection, by name.
    async fn list_collections(&self) -> crate::Result<Vec<CollectionInfo>>;

    /// One collection, or `None` if it does not exist.
    async fn collection(&self, name: &CollectionName) -> crate::Result<Option<CollectionInfo>>;

    /// Deletes a collection and everything in it. Returns whether it existed.
    async fn drop_collection(&self, name: &CollectionName) -> crate::Result<bool>;

    /// The collection's recorded embedding space.
    async fn embedding_space(&self, collection: &CollectionName) -> crate::Result<Option<EmbeddingSpace>>;

    /// Records the collection's embedding space. Recording the same space again is a no-op, a provider or
    /// model given for the first time is recorded, and a different one is refused (reset the collection
    /// first).
    async fn set_embedding_space(&self, collection: &CollectionName, space: &EmbeddingSpace) -> crate::Result<()>;

    /// Sets the BM25 parameters the collection's keyword search ranks with, after
    /// [`Bm25Params::validate`](crate::Bm25Params::validate); nothing is re-indexed, the next query uses them.
    async fn set_bm25_params(&self, collection: &CollectionName, params: crate::Bm25Params) -> crate::Result<()>;

    /// Checks that `space` may be used with the collection, without writing anything.
    async fn validate_embedding_space(&self, collection: &CollectionName, space: &EmbeddingSpace) -> crate::Result<()> {
        space.validate()?;
        match self.embedding_space(collection).await? {
            Some(stored) => stored.check_compatible(collection, space),
            None => Ok(()),
        }
    }

    /// Writes a batch atomically: every chunk or none. A repeated id keeps its last occurrence.
    async fn upsert(&self, collection: &CollectionName, chunks: Vec<Chunk>) -> crate::Result<UpsertSummary>;

    /// Prepares `collection` for a load of many batches (`ingest`, `import`, `copy`). A backend whose vector
    /// index is cheaper to build once than to grow row by row (PostgreSQL's HNSW) sets it aside while the
    /// collection is still empty, and [`finish_bulk_load`](Self::finish_bulk_load) builds it. Searches in
    /// between stay correct (exact), only slower; every batch is still its own atomic upsert. Returns
    /// whether an index was set aside. A missing collection is refused. The default only checks that the
    /// collection exists.
    async fn begin_bulk_load(&self, collection: &CollectionName) -> crate::Result<bool> {
        match self.collection(collection).await? {
            Some(_) => Ok(false),
            None => Err(crate::StorageError::missing_collection(collection)),
        }
    }

    /// Ends a load begun with [`begin_bulk_load`](Self::begin_bulk_load): builds whatever index it set
    /// aside. Call it after the last batch, and after a failed batch too, so that what was committed is
    /// indexed. Idempotent; a collection dropped meanwhile is not an error. The default does nothing.
    async fn finish_bulk_load(&self, collection: &CollectionName) -> crate::Result<()> {
        let _ = collection;
        Ok(())
    }

    /// Stages a re-embedding of `collection` into `space` beside its current space, or resumes the one
    /// staged already for the same space (another space is refused: [`crate::check_staged_space`]).
    /// Searches keep using the current space until [`switch_reembed`](Self::switch_reembed). Returns the
    /// progress so far. The default refuses: the backend does not re-embed.
    async fn begin_reembed(
        &self,
        collection: &CollectionName,
        space: &EmbeddingSpace,
    ) -> crate::Result<crate::ReembedProgress> {
        let _ = (collection, space);
        Err(self.reembed_unsupported())
    }

    /// The staged re-embedding's progress, or `None` when nothing is staged.
    async fn reembed_progress(&self, collection: &CollectionName) -> crate::Result<Option<crate::ReembedProgress>> {
        let _ = collection;
        Err(self.reembed_unsupported())
    }

    /// Up to `limit` rows (1 to [`MAX_LIST_LIMIT`]) that lack a vector in the staged space, or whose staged
    /// vector was computed from an older revision, in id order.
    async fn reembed_pending(
        &self,
        collection: &CollectionName,
        limit: usize,
    ) -> crate::Result<Vec<crate::PendingText>> {
        let _ = (collection, limit);
        Err(self.reembed_unsupported())
    }

    /// Writes vectors in the staged space ([`crate::check_staged_vectors`] first, so a wrong dimension
    /// writes nothing). A vector whose row is gone or has another revision now is skipped. Returns how
    /// many were written.
    async fn stage_vectors(
        &self,
        collection: &CollectionName,
        vectors: Vec<crate::StagedVector>,
    ) -> crate::Result<u64> {
        let _ = (collection, vectors);
        Err(self.reembed_unsupported())
    }

    /// In one transaction: the staged space becomes the collection's space, every row's vector becomes
    /// its staged one, and the old vectors and the staging are dropped. Refused while any row is pending
    /// ([`crate::check_switch`]). Returns the final counts.
    async fn switch_reembed(&self, collection: &CollectionName) -> crate::Result<crate::ReembedProgress> {
        let _ = collection;
        Err(self.reembed_unsupported())
    }

    /// Forgets the staged space and its vectors; the current space is untouched. Returns whether
    /// anything was staged.
    async fn abandon_reembed(&self, collection: &CollectionName) -> crate::Result<bool> {
        let _ = collection;
        Err(self.reembed_unsupported())
    }

    /// The error of the re-embedding defaults.
    #[doc(hidden)]
    fn reembed_unsupported(&self) -> crate::StorageError {
        crate::StorageError::Unsupported { operation: "re-embedding".into(), backend: self.backend().into() }
    }

    /// One chunk by id.
    async fn get(&self, collection: &CollectionName, id: &str) -> crate::Result<Option<StoredChunk>>;

    /// Many chunks in one call, by ids and/or filters, with the parts `request.include` names; order and
    /// paging as [`GetRequest`] documents them. Ids that do not exist are simply absent.
    async fn get_many(&self, collection: &CollectionName, request: &GetRequest) -> crate::Result<Vec<FetchedChunk>>;

    /// A page of chunks ordered by id (bytewise), embeddings included.
    async fn list(&self, collection: &CollectionName, request: &ListRequest) -> crate::Result<Vec<StoredChunk>>;

    /// How many chunks match `filter` (all of them for `None`). The filter is validated first
    /// ([`Filter::validate`]).
    async fn count(&self, collection: &CollectionName, filter: Option<&Filter>) -> crate::Result<u64>;

    /// Runs one query. Hits are ordered by score descending, then id ascending.
    async fn search(&self, collection: &CollectionName, request: &SearchRequest) -> crate::Result<Vec<SearchHit>>;

    /// Deletes chunks by id; returns how many existed. An empty list returns 0 without touching the store.
    async fn delete_ids(&self, collection: &CollectionName, ids: &[String]) -> crate::Result<u64>;

    /// Deletes the chunks matching `filter`; returns how many. A filter that matches everything by its shape
    /// is refused ([`Filter::check_deletable`]).
    async fn delete_where(&self, collection: &CollectionName, filter: &Filter) -> crate::Result<u64>;

    /// Deletes every chunk of the collection; returns how many. The collection and its embedding space
    /// stay, so the next upsert needs no `create_collection`; [`reset`](Self::reset) also forgets the space.
    async fn delete_all(&self, collection: &CollectionName) -> crate::Result<u64>;

    /// Empties a collection and forgets its embedding space; the collection itself remains.
    async fn reset(&self, collection: &CollectionName) -> crate::Result<()>;

    /// Versions, counts, locations and pool metrics.
    async fn health(&self) -> crate::Result<HealthReport>;

    /// Releases connections and files. Idempotent; the handle is unusable afterwards.
    async fn close(&self) -> crate::Result<()>;
}
