//! Versioned, reversible schema migrations and their runner.
//!
//! Each migration runs with its bookkeeping row in one `BEGIN IMMEDIATE` transaction, so two processes
//! migrating at once serialise on SQLite's write lock and the second finds nothing left to do.

/// `CREATE TABLE <table>` of a metadata side table owned by the rows of `owner` through column `owner_pk`:
/// one row per top-level key and per scalar array element. `filter_sql` compiles filters against this one
/// shape for chunks and memories, so it is written once. The text is a literal (a migration's DDL is static).
macro_rules! metadata_table {
    ($table:literal, $owner_pk:literal, $owner:literal) => {
        concat!(
            "CREATE TABLE ",
            $table,
            " (\n            ",
            $owner_pk,
            " INTEGER NOT NULL REFERENCES ",
            $owner,
            "(pk) ON DELETE CASCADE,
            key TEXT NOT NULL,
            elem INTEGER NOT NULL,
            kind INTEGER NOT NULL,
            num REAL,
            str TEXT
        ) STRICT"
        )
    };
}

mod m20261124_000001_create_collections;
mod m20261124_000002_create_chunks;
mod m20261124_000003_create_metadata_index;
mod m20261124_000004_create_memories;
mod m20261124_000005_create_sessions;
mod m20261124_000006_create_tasks;
mod m20261206_000007_index_embedded_chunks;
mod m20261207_000008_stage_reembedding;
mod m20261207_000009_collection_bm25_params;
mod m20261207_000010_stage_memory_reembedding;
mod m20261207_000011_number_messages_per_session;
mod m20261207_000012_index_memories_by_scope;
mod m20261208_000013_log_memory_vector_changes;
mod template;
mod text_index;

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};
use storage_core::{MigrationInfo, StorageError, TextLanguage};

use self::text_index::TextIndex;
pub(crate) use self::text_index::rebuild_text_indexes;
use crate::db::{Db, stmt};
use crate::schema;

/// One schema version: static DDL up and down.
pub(crate) struct Migration {
    pub(crate) name: &'static str,
    pub(crate) up: &'static [&'static str],
    pub(crate) down: &'static [&'static str],
    /// The per-collection keyword indexes index this migration's table, so they are created after its
    /// `up` and dropped before its `down`.
    pub(crate) owns_keyword_indexes: bool,
}

/// Every migration, oldest first; version N is `MIGRATIONS[N - 1]`.
pub(crate) const MIGRATIONS: &[Migration] = &[
    m20261124_000001_create_collections::MIGRATION,
    m20261124_000002_create_chunks::MIGRATION,
    m20261124_000003_create_metadata_index::MIGRATION,
    m20261124_000004_create_memories::MIGRATION,
    m20261124_000005_create_sessions::MIGRATION,
    m20261124_000006_create_tasks::MIGRATION,
    m20261206_000007_index_embedded_chunks::MIGRATION,
    m20261207_000008_stage_reembedding::MIGRATION,
    m20261207_000009_collection_bm25_params::MIGRATION,
    m20261207_000010_stage_memory_reembedding::MIGRATION,
    m20261207_000011_number_messages_per_session::MIGRATION,
    m20261207_000012_index_memories_by_scope::MIGRATION,
    m20261208_000013_log_memory_vector_changes::MIGRATION,
];

/// The FTS5 indexes migrations create with the store's tokenizer (chunks' per-collection indexes aside).
const TEXT_INDEXES: &[TextIndex] = &[
    m20261124_000004_create_memories::MEMORY_FTS,
    m20261124_000005_create_sessions::MESSAGE_FTS,
    m20261124_000005_create_sessions::ARTIFACT_FTS,
];

/// The newest schema version.
pub(crate) fn latest() -> u32 {
    u32::try_from(MIGRATIONS.len()).expect("a handful of migrations")
}

const CREATE_BOOKKEEPING: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT";

async fn applied_versions(conn: &impl ConnectionTrait) -> Result<Vec<u32>, DbErr> {
    let exists = conn
        .query_one_raw(stmt(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
            vec![],
        ))
        .await?
        .map(|row| row.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0);
    if exists == 0 {
        return Ok(Vec::new());
    }
    let rows = conn.query_all_raw(stmt("SELECT version FROM schema_migrations ORDER BY version", vec![])).await?;
    rows.iter().map(|row| row.try_get_by_index::<i64>(0).map(|v| u32::try_from(v).unwrap_or(0))).collect()
}

fn info(version: u32, applied: bool) -> MigrationInfo {
    let name = MIGRATIONS[version as usize - 1].name.to_owned();
    MigrationInfo { version, name, applied }
}

/// Every migration and whether it is applied.
pub(crate) async fn status(conn: &impl ConnectionTrait) -> Result<Vec<MigrationInfo>, DbErr> {
    let applied = applied_versions(conn).await?;
    Ok((1..=latest()).map(|version| info(version, applied.contains(&version))).collect())
}

/// Applies pending migrations up to `to` (all for `None`).
pub(crate) async fn up(db: &Db, to: Option<u32>, language: TextLanguage) -> Result<Vec<MigrationInfo>, StorageError> {
    let target = to.unwrap_or_else(latest).min(latest());
    let txn = db.begin_write().await.map_err(db.err("migrate up"))?;
    txn.execute_raw(stmt(CREATE_BOOKKEEPING, vec![])).await.map_err(db.err("migrate up"))?;
    let applied = applied_versions(&txn).await.map_err(db.err("migrate up"))?;
    let mut done = Vec::new();
    for version in 1..=target {
        if applied.contains(&version) {
            continue;
        }
        apply(&txn, version, language).await.map_err(|e| migrate_error(db, version, e))?;
        done.push(info(version, true));
    }
    txn.commit().await.map_err(db.err("migrate up"))?;
    Ok(done)
}

async fn apply(txn: &DatabaseTransaction, version: u32, language: TextLanguage) -> Result<(), DbErr> {
    let migration = &MIGRATIONS[version as usize - 1];
    for sql in migration.up {
        txn.execute_raw(stmt(&template::expand(sql, language), vec![])).await?;
    }
    if migration.owns_keyword_indexes {
        schema::create_all_keyword_indexes(txn, language).await?;
    }
    txn.execute_raw(stmt(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
        vec![i64::from(version).into(), migration.name.into(), chrono::Utc::now().timestamp_micros().into()],
    ))
    .await?;
    Ok(())
}

/// Reverts applied migrations above `to`, newest first.
pub(crate) async fn down(db: &Db, to: u32) -> Result<Vec<MigrationInfo>, StorageError> {
    let txn = db.begin_write().await.map_err(db.err("migrate down"))?;
    let applied = applied_versions(&txn).await.map_err(db.err("migrate down"))?;
    let mut done = Vec::new();
    for version in applied.iter().rev().copied().filter(|v| *v > to && *v <= latest()) {
        revert(&txn, version).await.map_err(|e| migrate_error(db, version, e))?;
        done.push(info(version, false));
    }
    txn.commit().await.map_err(db.err("migrate down"))?;
    Ok(done)
}

async fn revert(txn: &DatabaseTransaction, version: u32) -> Result<(), DbErr> {
    let migration = &MIGRATIONS[version as usize - 1];
    if migration.owns_keyword_indexes {
        schema::drop_all_keyword_indexes(txn).await?;
    }
    for sql in migration.down {
        txn.execute_raw(stmt(sql, vec![])).await?;
    }
    txn.execute_raw(stmt("DELETE FROM schema_migrations WHERE version = ?", vec![i64::from(version).into()])).await?;
    Ok(())
}

fn migrate_error(db: &Db, version: u32, err: DbErr) -> StorageError {
    if crate::error::is_busy(&err) {
        return crate::error::storage_error("migrate", err, &db.path, db.busy_timeout_ms);
    }
    crate::error::EmbeddedError::Migrate {
        name: MIGRATIONS[version as usize - 1].name.to_owned(),
        source: Box::new(err),
    }
    .into()
}
