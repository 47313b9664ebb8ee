//! `PostgresStore`: the `DocumentStore` of PostgreSQL + pgvector. It validates with core, calls `ops/`
//! and maps errors by cause; it holds no SQL.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use sea_orm::{DatabaseConnection, DbErr};
use sqlx::PgPool;
use storage_core::{
    Bm25Params, Chunk, CollectionInfo, CollectionName, DocumentStore, EmbeddingSpace, FetchedChunk, Filter, GetRequest,
    HealthReport, ListRequest, MigrationInfo, PendingText, ReembedProgress, SearchHit, SearchMode, SearchRequest,
    StagedVector, StorageError, StoredChunk, UpsertSummary, check_id, prepare_batch,
};

use crate::config::PostgresConfig;
use crate::connection::{PgvectorVersion, SessionSettings, build_pool, pool_status, probe_with_retry};
use crate::entity::prelude::CollectionModel;
use crate::error::{ErrorContext, PostgresError};
use crate::held::{Held, Stash};
use crate::migration;
use crate::ops::bulk::{self, Begun};
use crate::ops::probe::{ServerInfo, pgvector_version};
use crate::ops::upsert::UpsertFailure;
use crate::ops::vector::VectorSettings;
use crate::ops::{collections, count, delete, read, reembed, upsert};
use crate::schema::{self, ChunkTable, HnswParams, VectorLayout};

mod search;
mod staged;

/// How long a collection's registry row is trusted for reads before it is read again. Writes always read
/// it under a lock; this bounds how long another process's reset or drop can go unseen by searches.
const REGISTRY_CACHE_TTL: Duration = Duration::from_secs(2);

/// What the store knows about one collection.
#[derive(Clone, Debug)]
struct CollectionMeta {
    table: ChunkTable,
    language: String,
    space: Option<EmbeddingSpace>,
    bm25: Bm25Params,
    fetched: Instant,
}

/// A brainstore store on PostgreSQL + pgvector. Build it with [`PostgresStore::connect`], then call
/// [`DocumentStore::initialize`].
pub struct PostgresStore {
    config: PostgresConfig,
    db: DatabaseConnection,
    pool: PgPool,
    /// Connections kept between reads, so a read costs one round trip (`held.rs`).
    stash: Stash,
    server: ServerInfo,
    pgvector: RwLock<Option<PgvectorVersion>>,
    session: SessionSettings,
    errors: ErrorContext,
    registry: Mutex<HashMap<CollectionName, CollectionMeta>>,
    /// Collections whose HNSW index a bulk load of this store set aside (`ops/bulk.rs`).
    bulk_loads: Mutex<HashSet<CollectionName>>,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("target", &self.config.target())
            .field("schema", &self.config.schema)
            .field("closed", &self.pool.is_closed())
            .finish_non_exhaustive()
    }
}

fn missing(name: &CollectionName) -> StorageError {
    StorageError::missing_collection(name)
}

impl PostgresStore {
    /// Validates the config, connects (retrying transient failures with exponential backoff) and checks
    /// the text-search language against the server. The schema is created by [`DocumentStore::initialize`].
    pub async fn connect(config: PostgresConfig) -> Result<PostgresStore, PostgresError> {
        let config = config.validated()?;
        let server = probe_with_retry(&config).await?;
        if !server.language_exists {
            return Err(PostgresError::Config {
                field: "language".to_owned(),
                reason: format!(
                    "text search configuration `{}` does not exist on the server (see `SELECT cfgname FROM pg_ts_config`)",
                    config.language
                ),
            });
        }
        let (pool, session) = build_pool(&config, &server);
        let db = DatabaseConnection::from(pool.clone());
        let errors = ErrorContext { target: config.host_port() };
        let stash =
            Stash::new(config.pool_size, config.max_connections(), Duration::from_secs(config.pool_recycle.max(1)));
        Ok(PostgresStore {
            pgvector: RwLock::new(server.pgvector),
            config,
            db,
            pool,
            stash,
            server,
            session,
            errors,
            registry: Mutex::new(HashMap::new()),
            bulk_loads: Mutex::new(HashSet::new()),
        })
    }

    /// The validated config (its `Debug` redacts the password).
    pub fn config(&self) -> &PostgresConfig {
        &self.config
    }

    /// Current pool metrics.
    pub fn pool_status(&self) -> storage_core::PoolStatus {
        pool_status(&self.pool, &self.config, self.stash.len())
    }

    /// One connection for the statements of one read.
    async fn hold(&self) -> Result<Held<'_>, StorageError> {
        self.stash.hold(&self.pool).await.map_err(self.db_err("acquiring a connection"))
    }

    fn pgvector(&self) -> Option<PgvectorVersion> {
        *self.pgvector.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn hnsw(&self) -> HnswParams {
        HnswParams { m: self.config.hnsw_m, ef_construction: self.config.hnsw_ef_construction }
    }

    fn vector_settings(&self) -> VectorSettings {
        VectorSettings {
            pgvector: self.pgvector(),
            session: self.session,
            ef_search: self.config.ef_search,
            iterative_scan: self.config.iterative_scan,
        }
    }

    fn table(&self, name: &CollectionName) -> ChunkTable {
        ChunkTable::new(&self.config.schema, name)
    }

    fn forget(&self, name: Option<&CollectionName>) {
        let mut registry = self.registry.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match name {
            Some(name) => drop(registry.remove(name)),
            None => registry.clear(),
        }
    }

    fn db_err<'a>(&'a self, operation: &'a str) -> impl Fn(DbErr) -> StorageError + 'a {
        move |error| self.errors.db(operation, error)
    }

    /// The collection's registry row, cached for reads, read on `conn` when the cache has expired.
    async fn meta(&self, conn: &Held<'_>, name: &CollectionName) -> Result<CollectionMeta, StorageError> {
        {
            let registry = self.registry.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(meta) = registry.get(name).filter(|meta| meta.fetched.elapsed() < REGISTRY_CACHE_TTL) {
                return Ok(meta.clone());
            }
        }
        let row = collections::find(conn, name).await.map_err(self.db_err("reading the collection registry"))?;
        let row = row.ok_or_else(|| missing(name))?;
        let meta = CollectionMeta {
            table: self.table(name),
            language: row.language.clone(),
            space: row.embedding_space(),
            bm25: row.bm25(),
            fetched: Instant::now(),
        };
        self.registry.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(name.clone(), meta.clone());
        Ok(meta)
    }

    async fn info(&self, row: &CollectionModel) -> Result<CollectionInfo, StorageError> {
        let name = CollectionName::new(row.name.clone())?;
        let stats = count::stats(&self.db, &self.table(&name)).await.map_err(self.db_err("counting chunks"))?;
        row.info(&stats)
    }

    /// Checks that every chunk table's vector column has the dimensions its registry row records, and
    /// returns the collections that have one.
    async fn check_vector_columns(&self) -> Result<Vec<(CollectionName, ChunkTable, VectorLayout)>, StorageError> {
        let columns = crate::ops::probe::vector_columns(&self.db, &self.config.schema)
            .await
            .map_err(self.db_err("reading vector columns"))?;
        let rows = collections::all(&self.db).await.map_err(self.db_err("reading the collection registry"))?;
        let mut with_vectors = Vec::new();
        for row in rows {
            let Some(space) = row.embedding_space() else { continue };
            let name = CollectionName::new(row.name.clone())?;
            let table_name = format!("bs_chunks_{name}");
            let declared = columns.iter().find(|(table, _)| *table == table_name).and_then(|(_, dims)| *dims);
            if let Some(declared) = declared.filter(|declared| *declared != space.dimensions) {
                return Err(StorageError::DimensionMismatch {
                    collection: name.to_string(),
                    stored: space.dimensions,
                    given: declared,
                    remedy: Some(format!(
                        "the registry records {} dimensions but table {table_name} holds vector({declared})",
                        space.dimensions
                    )),
                });
            }
            with_vectors.push((name.clone(), self.table(&name), VectorLayout::new(&space)));
        }
        Ok(with_vectors)
    }

    fn bulk_loads(&self) -> std::sync::MutexGuard<'_, HashSet<CollectionName>> {
        self.bulk_loads.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The statement (and HNSW settings statement, if any) `search` would send: the benchmark runs the same
    /// SQL through `pgbench`.
    #[cfg(feature = "bench")]
    pub(crate) async fn bench_statement(
        &self,
        collection: &CollectionName,
        request: &SearchRequest,
    ) -> Result<Option<(sea_orm::Statement, Option<sea_orm::Statement>)>, StorageError> {
        let conn = self.hold().await?;
        let meta = self.meta(&conn, collection).await?;
        request.validate(collection, meta.space.as_ref())?;
        let statement = self.search_statement(&meta, request)?;
        Ok(statement.map(|(statement, overrides)| (statement, overrides.statement())))
    }
}

#[async_trait]
impl DocumentStore for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn initialize(&self) -> storage_core::Result<()> {
        let txn = migration::locked(&self.db).await.map_err(self.db_err("locking the schema"))?;
        migration::ensure_extension(&txn, &self.config).await?;
        migration::ensure_schema(&txn, &self.config.schema).await.map_err(self.db_err("creating the schema"))?;
        migration::up_in(&txn, None).await.map_err(self.db_err("applying migrations"))?;
        txn.commit().await.map_err(self.db_err("committing migrations"))?;
        let version = pgvector_version(&self.db).await.map_err(self.db_err("reading the pgvector version"))?;
        *self.pgvector.write().unwrap_or_else(std::sync::PoisonError::into_inner) = version;
        self.forget(None);
        let with_vectors = self.check_vector_columns().await?;
        // A bulk load that never finished (a crash) left its collection without an HNSW index.
        let rebuilt = bulk::ensure_vector_indexes(&self.pool, with_vectors, self.hnsw())
            .await
            .map_err(|error| self.errors.sqlx("building missing vector indexes", error))?;
        for collection in rebuilt {
            tracing::info!(%collection, "built the vector index an unfinished bulk load had set aside");
        }
        Ok(())
    }

    async fn migrations(&self) -> storage_core::Result<Vec<MigrationInfo>> {
        migration::status(&self.db).await.map_err(self.db_err("reading migrations"))
    }

    async fn migrate_up(&self, to: Option<u32>) -> storage_core::Result<Vec<MigrationInfo>> {
        let txn = migration::locked(&self.db).await.map_err(self.db_err("locking the schema"))?;
        migration::ensure_schema(&txn, &self.config.schema).await.map_err(self.db_err("creating the schema"))?;
        let applied = migration::up_in(&txn, to).await.map_err(self.db_err("applying migrations"))?;
        txn.commit().await.map_err(self.db_err("committing migrations"))?;
        self.forget(None);
        Ok(applied)
    }

    async fn migrate_down(&self, to: u32) -> storage_core::Result<Vec<MigrationInfo>> {
        let txn = migration::locked(&self.db).await.map_err(self.db_err("locking the schema"))?;
        let reverted = migration::down_in(&txn, to).await.map_err(self.db_err("reverting migrations"))?;
        txn.commit().await.map_err(self.db_err("committing migrations"))?;
        self.forget(None);
        Ok(reverted)
    }

    async fn create_collection(
        &self,
        name: &CollectionName,
        space: Option<&EmbeddingSpace>,
    ) -> storage_core::Result<CollectionInfo> {
        if let Some(space) = space {
            space.validate()?;
        }
        let table = self.table(name);
        let err = self.db_err("creating a collection");
        let txn = migration::locked(&self.db).await.map_err(&err)?;
        let row = match collections::find_for_update(&txn, name).await.map_err(&err)? {
            Some(row) => match (row.embedding_space(), space) {
                (Some(stored), Some(space)) => match stored.completed_by(name, space)? {
                    Some(completed) => collections::set_space(&txn, row, Some(&completed)).await.map_err(&err)?,
                    None => row,
                },
                (None, Some(space)) => {
                    let layout = VectorLayout::new(space);
                    layout.check_supported(self.pgvector())?;
                    schema::set_vector_column(&txn, &table, layout, self.hnsw()).await.map_err(&err)?;
                    collections::set_space(&txn, row, Some(space)).await.map_err(&err)?
                }
                (_, None) => row,
            },
            None => {
                let layout = space.map(VectorLayout::new);
                if let Some(layout) = layout {
                    layout.check_supported(self.pgvector())?;
                }
                let row = collections::insert(&txn, name, &self.config.language, space).await.map_err(&err)?;
                schema::create_chunk_table(&txn, &table, layout, self.hnsw()).await.map_err(&err)?;
                row
            }
        };
        txn.commit().await.map_err(&err)?;
        self.forget(Some(name));
        self.info(&row).await
    }

    async fn list_collections(&self) -> storage_core::Result<Vec<CollectionInfo>> {
        let rows = collections::all(&self.db).await.map_err(self.db_err("listing collections"))?;
        let mut infos = Vec::with_capacity(rows.len());
        for row in &rows {
            infos.push(self.info(row).await?);
        }
        Ok(infos)
    }

    async fn collection(&self, name: &CollectionName) -> storage_core::Result<Option<CollectionInfo>> {
        match collections::find(&self.db, name).await.map_err(self.db_err("reading a collection"))? {
            Some(row) => Ok(Some(self.info(&row).await?)),
            None => Ok(None),
        }
    }

    async fn drop_collection(&self, name: &CollectionName) -> storage_core::Result<bool> {
        let err = self.db_err("dropping a collection");
        let txn = migration::locked(&self.db).await.map_err(&err)?;
        let existed = collections::find_for_update(&txn, name).await.map_err(&err)?.is_some();
        if existed {
            schema::drop_chunk_table(&txn, &self.table(name)).await.map_err(&err)?;
            schema::forget_keyword_stats(&txn, &self.table(name)).await.map_err(&err)?;
            collections::delete(&txn, name).await.map_err(&err)?;
        }
        txn.commit().await.map_err(&err)?;
        self.forget(Some(name));
        Ok(existed)
    }

    async fn embedding_space(&self, collection: &CollectionName) -> storage_core::Result<Option<EmbeddingSpace>> {
        let row = collections::find(&self.db, collection).await.map_err(self.db_err("reading a collection"))?;
        Ok(row.ok_or_else(|| missing(collection))?.embedding_space())
    }

    async fn set_bm25_params(&self, collection: &CollectionName, params: Bm25Params) -> storage_core::Result<()> {
        params.validate()?;
        let err = self.db_err("recording BM25 parameters");
        if !collections::set_bm25(&self.db, collection, params).await.map_err(&err)? {
            return Err(missing(collection));
        }
        self.forget(Some(collection));
        Ok(())
    }

    async fn set_embedding_space(
        &self,
        collection: &CollectionName,
        space: &EmbeddingSpace,
    ) -> storage_core::Result<()> {
        space.validate()?;
        let err = self.db_err("recording the embedding space");
        let txn = migration::locked(&self.db).await.map_err(&err)?;
        let row =
            collections::find_for_update(&txn, collection).await.map_err(&err)?.ok_or_else(|| missing(collection))?;
        match row.embedding_space() {
            Some(stored) => {
                if let Some(completed) = stored.completed_by(collection, space)? {
                    collections::set_space(&txn, row, Some(&completed)).await.map_err(&err)?;
                }
            }
            None => {
                let layout = VectorLayout::new(space);
                layout.check_supported(self.pgvector())?;
                schema::set_vector_column(&txn, &self.table(collection), layout, self.hnsw()).await.map_err(&err)?;
                collections::set_space(&txn, row, Some(space)).await.map_err(&err)?;
            }
        }
        txn.commit().await.map_err(&err)?;
        self.forget(Some(collection));
        Ok(())
    }

    async fn upsert(&self, collection: &CollectionName, chunks: Vec<Chunk>) -> storage_core::Result<UpsertSummary> {
        let table = self.table(collection);
        let validate = |space: Option<&EmbeddingSpace>, chunks| prepare_batch(collection, space, chunks);
        let index_deferred = self.bulk_loads().contains(collection);
        match upsert::upsert(&self.pool, &table, self.hnsw(), index_deferred, collection, chunks, validate).await {
            Ok(summary) => Ok(summary),
            Err(UpsertFailure::Missing) => Err(missing(collection)),
            Err(UpsertFailure::Invalid(error)) => Err(error),
            Err(UpsertFailure::Database(error)) => Err(self.errors.sqlx("upsert", error)),
        }
    }

    async fn begin_bulk_load(&self, collection: &CollectionName) -> storage_core::Result<bool> {
        let begun = bulk::begin(&self.pool, &self.table(collection), collection)
            .await
            .map_err(|error| self.errors.sqlx("beginning a bulk load", error))?;
        match begun {
            Begun::Missing => Err(missing(collection)),
            Begun::Deferred => {
                self.bulk_loads().insert(collection.clone());
                Ok(true)
            }
            Begun::Unchanged => Ok(false),
        }
    }

    async fn finish_bulk_load(&self, collection: &CollectionName) -> storage_core::Result<()> {
        self.bulk_loads().remove(collection);
        bulk::finish(&self.pool, &self.table(collection), collection, self.hnsw())
            .await
            .map_err(|error| self.errors.sqlx("building the vector index after a bulk load", error))
    }

    async fn begin_reembed(&self, c: &CollectionName, space: &EmbeddingSpace) -> storage_core::Result<ReembedProgress> {
        self.staged_begin(c, space).await
    }

    async fn reembed_progress(&self, c: &CollectionName) -> storage_core::Result<Option<ReembedProgress>> {
        self.staged_progress(c).await
    }

    async fn reembed_pending(&self, c: &CollectionName, limit: usize) -> storage_core::Result<Vec<PendingText>> {
        self.staged_pending(c, limit).await
    }

    async fn stage_vectors(&self, c: &CollectionName, vectors: Vec<StagedVector>) -> storage_core::Result<u64> {
        self.staged_write(c, vectors).await
    }

    async fn switch_reembed(&self, c: &CollectionName) -> storage_core::Result<ReembedProgress> {
        self.staged_switch(c).await
    }

    async fn abandon_reembed(&self, c: &CollectionName) -> storage_core::Result<bool> {
        self.staged_abandon(c).await
    }

    async fn get(&self, collection: &CollectionName, id: &str) -> storage_core::Result<Option<StoredChunk>> {
        check_id(id, "id")?;
        let conn = self.hold().await?;
        let meta = self.meta(&conn, collection).await?;
        read::get(&conn, &meta.table, id).await.map_err(self.db_err("get"))?
    }

    async fn get_many(
        &self,
        collection: &CollectionName,
        request: &GetRequest,
    ) -> storage_core::Result<Vec<FetchedChunk>> {
        request.validate()?;
        let conn = self.hold().await?;
        let meta = self.meta(&conn, collection).await?;
        read::get_many(&conn, &meta.table, request).await.map_err(self.db_err("get"))?
    }

    async fn list(&self, collection: &CollectionName, request: &ListRequest) -> storage_core::Result<Vec<StoredChunk>> {
        request.validate()?;
        let conn = self.hold().await?;
        let meta = self.meta(&conn, collection).await?;
        read::list(&conn, &meta.table, request).await.map_err(self.db_err("list"))?
    }

    async fn count(&self, collection: &CollectionName, filter: Option<&Filter>) -> storage_core::Result<u64> {
        filter.map(Filter::validate).transpose()?;
        let conn = self.hold().await?;
        let meta = self.meta(&conn, collection).await?;
        count::count(&conn, &meta.table, filter).await.map_err(self.db_err("count"))
    }

    async fn search(
        &self,
        collection: &CollectionName,
        request: &SearchRequest,
    ) -> storage_core::Result<Vec<SearchHit>> {
        let conn = self.hold().await?;
        let meta = self.meta(&conn, collection).await?;
        request.validate(collection, meta.space.as_ref())?;
        if let Some(layout) = meta.space.as_ref().map(VectorLayout::new).filter(|_| request.mode != SearchMode::Keyword)
        {
            layout.check_supported(self.pgvector())?;
        }
        let mut hits = match self.run_search(&conn, &meta, request).await {
            Ok(hits) => hits,
            // A re-embedding may switch the space between reading it and searching: the search then fails
            // in pgvector's words. Read the space again, so a changed one answers as any mismatch does.
            Err(error) if request.embedding.is_some() => {
                self.forget(Some(collection));
                let fresh = self.meta(&conn, collection).await?;
                request.validate(collection, fresh.space.as_ref())?;
                return Err(error);
            }
            Err(error) => return Err(error),
        };
        if let Some(min_score) = request.min_score {
            hits.retain(|hit| hit.score >= min_score);
        }
        Ok(hits)
    }

    async fn delete_ids(&self, collection: &CollectionName, ids: &[String]) -> storage_core::Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        for (idx, id) in ids.iter().enumerate() {
            check_id(id, &format!("ids[{idx}]"))?;
        }
        let meta = self.meta(&self.hold().await?, collection).await?;
        delete::delete_ids(&self.db, &meta.table, ids).await.map_err(self.db_err("delete"))
    }

    async fn delete_where(&self, collection: &CollectionName, filter: &Filter) -> storage_core::Result<u64> {
        filter.check_deletable()?;
        let meta = self.meta(&self.hold().await?, collection).await?;
        delete::delete_where(&self.db, &meta.table, filter).await.map_err(self.db_err("delete"))
    }

    async fn delete_all(&self, collection: &CollectionName) -> storage_core::Result<u64> {
        let meta = self.meta(&self.hold().await?, collection).await?;
        delete::delete_all(&self.db, &meta.table).await.map_err(self.db_err("delete all"))
    }

    async fn reset(&self, collection: &CollectionName) -> storage_core::Result<()> {
        let err = self.db_err("reset");
        let table = self.table(collection);
        let txn = migration::locked(&self.db).await.map_err(&err)?;
        let row =
            collections::find_for_update(&txn, collection).await.map_err(&err)?.ok_or_else(|| missing(collection))?;
        schema::drop_chunk_table(&txn, &table).await.map_err(&err)?;
        schema::forget_keyword_stats(&txn, &table).await.map_err(&err)?;
        schema::create_chunk_table(&txn, &table, None, self.hnsw()).await.map_err(&err)?;
        collections::set_space(&txn, row, None).await.map_err(&err)?;
        reembed::forget_staging(&txn, collection).await.map_err(&err)?;
        txn.commit().await.map_err(&err)?;
        self.forget(Some(collection));
        Ok(())
    }

    async fn health(&self) -> storage_core::Result<HealthReport> {
        crate::health::report(self, &self.db, &self.server, self.pgvector()).await
    }

    async fn close(&self) -> storage_core::Result<()> {
        // The pool waits for every checked-out connection, the stashed ones included.
        self.stash.drain();
        self.pool.close().await;
        Ok(())
    }
}

/// What the memory, session and task implementations (`memory/`, `session/`, `task/`) need of the store.
impl PostgresStore {
    /// The sea-orm connection over the pool.
    pub(crate) fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Maps a failure of `operation` to the `StorageError` its cause calls for.
    pub(crate) fn failure(&self, operation: &'static str) -> impl Fn(crate::failure::Failure) -> StorageError + '_ {
        move |failure| failure.into_storage(&self.errors, operation)
    }

    /// The configured text-search configuration (memories, messages and artifacts are indexed in it).
    pub(crate) fn text_language(&self) -> &str {
        &self.config.language
    }

    /// How vector legs run (HNSW settings, exact scans on pgvector without iterative scans).
    pub(crate) fn vector_leg_settings(&self) -> VectorSettings {
        self.vector_settings()
    }

    /// The HNSW build parameters.
    pub(crate) fn hnsw_params(&self) -> HnswParams {
        self.hnsw()
    }

    /// The installed pgvector.
    pub(crate) fn installed_pgvector(&self) -> Option<PgvectorVersion> {
        self.pgvector()
    }
}
