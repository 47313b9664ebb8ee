//! `EmbeddedStore`: the `DocumentStore` implementation; validates, calls `ops`, keeps the vector indexes in
//! step. No SQL here.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use storage_core::{
    Bm25Params, Chunk, CollectionInfo, CollectionName, DocumentStore, EmbeddingSpace, FetchedChunk, Filter, GetRequest,
    HealthReport, ListRequest, MigrationInfo, PendingText, ReembedProgress, SearchHit, SearchMode, SearchRequest,
    StagedVector, StorageError, StoredChunk, TextLanguage, UpsertSummary,
};
use tokio::sync::OnceCell;

use crate::config::EmbeddedConfig;
use crate::db::Db;
use crate::error::EmbeddedError;
use crate::index_cache::IndexCache;
use crate::ops::vector::VectorContext;
use crate::ops::{collections, count, delete, get, hybrid, keyword, reembed, upsert, vector};
use crate::{health, migration, schema};

/// The embedded store: one data dir, no server. Cheap to clone; clones share the connection pool and
/// vector indexes.
#[derive(Clone, Debug)]
pub struct EmbeddedStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: EmbeddedConfig,
    db: OnceCell<Db>,
    ready: AtomicBool,
    closed: AtomicBool,
    language: Mutex<TextLanguage>,
    indexes: IndexCache,
    /// The memory vectors (`memory/vectors.rs`), one store-wide index.
    memory_vectors: IndexCache,
}

impl EmbeddedStore {
    /// Validates the config. Touches no file: the database is opened on first use and created only by
    /// [`DocumentStore::initialize`].
    pub fn open(config: EmbeddedConfig) -> Result<Self, EmbeddedError> {
        config.validate()?;
        let language = config.language;
        Ok(EmbeddedStore {
            inner: Arc::new(Inner {
                config,
                db: OnceCell::new(),
                ready: AtomicBool::new(false),
                closed: AtomicBool::new(false),
                language: Mutex::new(language),
                indexes: IndexCache::default(),
                memory_vectors: IndexCache::default(),
            }),
        })
    }

    /// The validated config.
    pub fn config(&self) -> &EmbeddedConfig {
        &self.inner.config
    }

    pub(crate) fn language(&self) -> TextLanguage {
        *self.inner.language.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn set_language(&self, language: TextLanguage) {
        *self.inner.language.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = language;
    }

    /// The pool, opened on first use; with `create`, the data dir and database are created if missing.
    async fn connection(&self, create: bool) -> Result<&Db, StorageError> {
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(StorageError::backend("open", "this store handle is closed; open a new one"));
        }
        if create && self.inner.db.get().is_none() {
            let db = Db::open(&self.inner.config, true).await?;
            // Another task may have opened it meanwhile; either pool works.
            let _ = self.inner.db.set(db);
        }
        let db = self.inner.db.get_or_try_init(|| Db::open(&self.inner.config, false)).await?;
        Ok(db)
    }

    /// The pool of a fully migrated store, or `NotInitialized` naming `brainstore init`.
    pub(crate) async fn db(&self) -> Result<&Db, StorageError> {
        let db = self.connection(false).await?;
        if !self.inner.ready.load(Ordering::Acquire) {
            let status = migration::status(&db.conn).await.map_err(db.err("open"))?;
            if !status.iter().all(|m| m.applied) {
                return Err(
                    EmbeddedError::NotInitialized { path: self.inner.config.data_dir.display().to_string() }.into()
                );
            }
            let stored = schema::stored_language(&db.conn).await.map_err(db.err("open"))?;
            self.set_language(stored.unwrap_or(self.inner.config.language));
            self.inner.ready.store(true, Ordering::Release);
        }
        Ok(db)
    }

    async fn refresh_ready(&self, db: &Db) -> Result<(), StorageError> {
        self.inner.indexes.clear();
        self.inner.memory_vectors.clear();
        self.inner.ready.store(false, Ordering::Release);
        let status = migration::status(&db.conn).await.map_err(db.err("migrate"))?;
        self.inner.ready.store(status.iter().all(|m| m.applied), Ordering::Release);
        Ok(())
    }

    fn vector_context<'a>(&'a self, db: &'a Db) -> VectorContext<'a> {
        VectorContext { db, cache: &self.inner.indexes, config: &self.inner.config }
    }

    pub(crate) fn memory_vector_context<'a>(&'a self, db: &'a Db) -> VectorContext<'a> {
        VectorContext { db, cache: &self.inner.memory_vectors, config: &self.inner.config }
    }
}

#[async_trait]
impl DocumentStore for EmbeddedStore {
    fn backend(&self) -> &'static str {
        "embedded"
    }

    async fn initialize(&self) -> storage_core::Result<()> {
        let db = self.connection(true).await?;
        let language = self.inner.config.language;
        migration::up(db, None, language).await?;
        let txn = db.begin_write().await.map_err(db.err("initialize"))?;
        schema::ensure_language(&txn, language).await.map_err(db.err("initialize"))?;
        txn.commit().await.map_err(db.err("initialize"))?;
        self.set_language(language);
        self.refresh_ready(db).await
    }

    async fn migrations(&self) -> storage_core::Result<Vec<MigrationInfo>> {
        if !self.inner.config.db_path().is_file() && self.inner.db.get().is_none() {
            return Ok((1..=migration::latest())
                .map(|version| MigrationInfo {
                    version,
                    name: migration::MIGRATIONS[version as usize - 1].name.to_owned(),
                    applied: false,
                })
                .collect());
        }
        let db = self.connection(false).await?;
        migration::status(&db.conn).await.map_err(db.err("migrations"))
    }

    async fn migrate_up(&self, to: Option<u32>) -> storage_core::Result<Vec<MigrationInfo>> {
        let db = self.connection(true).await?;
        let applied = migration::up(db, to, self.inner.config.language).await?;
        self.refresh_ready(db).await?;
        Ok(applied)
    }

    async fn migrate_down(&self, to: u32) -> storage_core::Result<Vec<MigrationInfo>> {
        let db = self.connection(false).await?;
        let reverted = migration::down(db, to).await?;
        self.refresh_ready(db).await?;
        Ok(reverted)
    }

    async fn create_collection(
        &self,
        name: &CollectionName,
        space: Option<&EmbeddingSpace>,
    ) -> storage_core::Result<CollectionInfo> {
        collections::create(self.db().await?, name, space).await
    }

    async fn list_collections(&self) -> storage_core::Result<Vec<CollectionInfo>> {
        collections::list(self.db().await?).await
    }

    async fn collection(&self, name: &CollectionName) -> storage_core::Result<Option<CollectionInfo>> {
        collections::get(self.db().await?, name).await
    }

    async fn drop_collection(&self, name: &CollectionName) -> storage_core::Result<bool> {
        let dropped = collections::drop_collection(self.db().await?, name).await?;
        if let Some(id) = dropped {
            self.inner.indexes.forget(id);
        }
        Ok(dropped.is_some())
    }

    async fn embedding_space(&self, collection: &CollectionName) -> storage_core::Result<Option<EmbeddingSpace>> {
        let info = collections::get(self.db().await?, collection).await?;
        Ok(info.ok_or_else(|| crate::ops::missing(collection))?.embedding_space)
    }

    async fn set_embedding_space(
        &self,
        collection: &CollectionName,
        space: &EmbeddingSpace,
    ) -> storage_core::Result<()> {
        collections::set_space(self.db().await?, collection, space).await
    }

    async fn set_bm25_params(&self, collection: &CollectionName, params: Bm25Params) -> storage_core::Result<()> {
        collections::set_bm25(self.db().await?, collection, params).await
    }

    async fn upsert(&self, collection: &CollectionName, chunks: Vec<Chunk>) -> storage_core::Result<UpsertSummary> {
        let (summary, delta) = upsert::upsert(self.db().await?, collection, chunks, self.language()).await?;
        if let Some(delta) = delta {
            self.inner.indexes.apply(delta);
        }
        Ok(summary)
    }

    async fn begin_reembed(
        &self,
        collection: &CollectionName,
        space: &EmbeddingSpace,
    ) -> storage_core::Result<ReembedProgress> {
        reembed::begin(self.db().await?, collection, space).await
    }

    async fn reembed_progress(&self, collection: &CollectionName) -> storage_core::Result<Option<ReembedProgress>> {
        reembed::progress(self.db().await?, collection).await
    }

    async fn reembed_pending(
        &self,
        collection: &CollectionName,
        limit: usize,
    ) -> storage_core::Result<Vec<PendingText>> {
        reembed::pending(self.db().await?, collection, limit).await
    }

    async fn stage_vectors(
        &self,
        collection: &CollectionName,
        vectors: Vec<StagedVector>,
    ) -> storage_core::Result<u64> {
        reembed::stage(self.db().await?, collection, vectors).await
    }

    async fn switch_reembed(&self, collection: &CollectionName) -> storage_core::Result<ReembedProgress> {
        let (progress, id) = reembed::switch(self.db().await?, collection).await?;
        self.inner.indexes.forget(id);
        Ok(progress)
    }

    async fn abandon_reembed(&self, collection: &CollectionName) -> storage_core::Result<bool> {
        reembed::abandon(self.db().await?, collection).await
    }

    async fn get(&self, collection: &CollectionName, id: &str) -> storage_core::Result<Option<StoredChunk>> {
        get::get(self.db().await?, collection, id).await
    }

    async fn get_many(
        &self,
        collection: &CollectionName,
        request: &GetRequest,
    ) -> storage_core::Result<Vec<FetchedChunk>> {
        get::get_many(self.db().await?, collection, request).await
    }

    async fn list(&self, collection: &CollectionName, request: &ListRequest) -> storage_core::Result<Vec<StoredChunk>> {
        get::list(self.db().await?, collection, request).await
    }

    async fn count(&self, collection: &CollectionName, filter: Option<&Filter>) -> storage_core::Result<u64> {
        filter.map(Filter::validate).transpose()?;
        count::count(self.db().await?, collection, filter).await
    }

    async fn search(
        &self,
        collection: &CollectionName,
        request: &SearchRequest,
    ) -> storage_core::Result<Vec<SearchHit>> {
        let db = self.db().await?;
        match request.mode {
            SearchMode::Vector => vector::search(&self.vector_context(db), collection, request).await,
            SearchMode::Keyword => keyword::search(db, collection, request, self.language()).await,
            SearchMode::Hybrid => hybrid::search(&self.vector_context(db), collection, request, self.language()).await,
        }
    }

    async fn delete_ids(&self, collection: &CollectionName, ids: &[String]) -> storage_core::Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let (deleted, delta) = delete::delete_ids(self.db().await?, collection, ids, self.language()).await?;
        self.inner.indexes.apply(delta);
        Ok(deleted)
    }

    async fn delete_where(&self, collection: &CollectionName, filter: &Filter) -> storage_core::Result<u64> {
        let (deleted, delta) = delete::delete_where(self.db().await?, collection, filter, self.language()).await?;
        self.inner.indexes.apply(delta);
        Ok(deleted)
    }

    async fn delete_all(&self, collection: &CollectionName) -> storage_core::Result<u64> {
        let (id, deleted) = collections::delete_all(self.db().await?, collection).await?;
        self.inner.indexes.forget(id);
        Ok(deleted)
    }

    async fn reset(&self, collection: &CollectionName) -> storage_core::Result<()> {
        let id = collections::reset(self.db().await?, collection).await?;
        self.inner.indexes.forget(id);
        Ok(())
    }

    async fn health(&self) -> storage_core::Result<HealthReport> {
        let config = &self.inner.config;
        if self.inner.db.get().is_none() && !config.db_path().is_file() {
            return Ok(health::uninitialized(config));
        }
        let db = self.connection(false).await?;
        let migrations = migration::status(&db.conn).await.map_err(db.err("health"))?;
        let collections = if migrations.iter().all(|m| m.applied) { collections::list(db).await? } else { Vec::new() };
        Ok(health::report(config, db, &migrations, collections, self.language()).await)
    }

    async fn close(&self) -> storage_core::Result<()> {
        self.inner.closed.store(true, Ordering::Release);
        self.inner.indexes.clear();
        if let Some(db) = self.inner.db.get() {
            db.close().await.map_err(db.err("close"))?;
        }
        Ok(())
    }
}
