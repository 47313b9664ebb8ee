//! `PostgresStore`'s staged re-embedding (storage-core's `reembed` protocol): core's checks, then
//! `ops/reembed.rs`, with its failures mapped by cause.

use storage_core::{CollectionName, EmbeddingSpace, PendingText, ReembedProgress, StagedVector, check_pending_limit};

use super::PostgresStore;
use crate::ops::reembed::{self, Failure};
use crate::schema::VectorLayout;

impl PostgresStore {
    fn staged_result<T>(&self, operation: &str, result: Result<T, Failure>) -> storage_core::Result<T> {
        result.map_err(|failure| match failure {
            Failure::Refused(error) => error,
            Failure::Database(error) => self.errors.sqlx(operation, error),
        })
    }

    pub(super) async fn staged_begin(
        &self,
        collection: &CollectionName,
        space: &EmbeddingSpace,
    ) -> storage_core::Result<ReembedProgress> {
        space.validate()?;
        VectorLayout::new(space).check_supported(self.pgvector())?;
        let begun = reembed::begin(&self.pool, &self.table(collection), collection, space).await;
        self.staged_result("beginning a re-embedding", begun)
    }

    pub(super) async fn staged_progress(
        &self,
        collection: &CollectionName,
    ) -> storage_core::Result<Option<ReembedProgress>> {
        let progress = reembed::progress(&self.pool, &self.table(collection), collection).await;
        self.staged_result("reading re-embedding progress", progress)
    }

    pub(super) async fn staged_pending(
        &self,
        collection: &CollectionName,
        limit: usize,
    ) -> storage_core::Result<Vec<PendingText>> {
        check_pending_limit(limit)?;
        let pending = reembed::pending(&self.pool, &self.table(collection), collection, limit).await;
        self.staged_result("reading rows to re-embed", pending)
    }

    pub(super) async fn staged_write(
        &self,
        collection: &CollectionName,
        vectors: Vec<StagedVector>,
    ) -> storage_core::Result<u64> {
        let staged = reembed::stage(&self.pool, &self.table(collection), collection, vectors).await;
        self.staged_result("staging re-embedded vectors", staged)
    }

    pub(super) async fn staged_switch(&self, collection: &CollectionName) -> storage_core::Result<ReembedProgress> {
        let switched = reembed::switch(&self.pool, &self.table(collection), collection, self.hnsw()).await;
        // The cached registry row names the old space, whatever the outcome.
        self.forget(Some(collection));
        self.staged_result("switching to the re-embedded space", switched)
    }

    pub(super) async fn staged_abandon(&self, collection: &CollectionName) -> storage_core::Result<bool> {
        let abandoned = reembed::abandon(&self.pool, collection).await;
        self.staged_result("abandoning a re-embedding", abandoned)
    }
}
