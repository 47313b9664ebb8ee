//! Staged re-embedding of the memory space (storage-core's `reembed` protocol over memories) on
//! PostgreSQL: new vectors in `bs_memory_staged_vectors` beside `bs_memories.embedding`, each tagged with
//! the memory's revision (`updated_at` in microseconds) when its content was read, so a memory changed
//! since counts as pending again.
//!
//! The switch runs in one transaction under the schema lock, the memory space row's exclusive lock
//! (writes of embeddings hold it shared) and an `EXCLUSIVE` lock on `bs_memories` (every write of a
//! memory waits, reads do not), so the memories it counts are the ones it switches: it untypes the
//! column, fills it from the staged vectors with the new model, types it `vector(N)` of the new space and
//! builds the HNSW index once, records the space and drops the staging. Recall waits for that
//! transaction, then answers in the new space.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use storage_core::{
    EmbeddingSpace, PendingText, ReembedProgress, Restaged, StagedVector, StorageError, check_pending_limit,
    check_staged_space, check_staged_vectors, check_switch, not_staged,
};
use uuid::Uuid;

use super::space::{self, RowLock};
use crate::connection::PgvectorVersion;
use crate::failure::{OpResult, decode_error};
use crate::migration;
use crate::ops::{Sql, pg_vector};
use crate::schema::{HnswParams, VectorLayout};

/// A memory's revision, from its `updated_at` (`extract` is exact numeric on PostgreSQL ≥ 14).
const REVISION: &str = "(extract(epoch FROM m.updated_at) * 1000000)::int8";

/// The staged space.
async fn staged_space<C: ConnectionTrait>(db: &C, lock: RowLock) -> OpResult<Option<EmbeddingSpace>> {
    space::read_row(db, "bs_memory_staged_space", "the staged memory embedding space", lock).await
}

async fn progress_of<C: ConnectionTrait>(db: &C, space: EmbeddingSpace) -> OpResult<ReembedProgress> {
    let mut sql = Sql::new();
    sql.push("SELECT (SELECT count(*) FROM bs_memories) AS total, (SELECT count(*) FROM bs_memory_staged_vectors s ");
    sql.push("JOIN bs_memories m ON m.id = s.memory_id WHERE s.revision = ").push(REVISION).push(") AS staged");
    let row =
        db.query_one_raw(sql.build()).await?.ok_or_else(|| StorageError::backend("counting memories", "no row"))?;
    let get = decode_error("the memory re-embedding counts");
    let total: i64 = row.try_get("", "total").map_err(&get)?;
    let staged: i64 = row.try_get("", "staged").map_err(&get)?;
    Ok(ReembedProgress { space, staged: u64::try_from(staged).unwrap_or(0), total: u64::try_from(total).unwrap_or(0) })
}

pub(super) async fn begin(db: &DatabaseConnection, space: &EmbeddingSpace) -> OpResult<ReembedProgress> {
    let txn = migration::locked(db).await?;
    let staged = staged_space(&txn, RowLock::Update).await?;
    check_staged_space(Restaged::Memories, staged.as_ref(), space)?;
    if staged.is_none() {
        let mut sql = Sql::new();
        sql.push("INSERT INTO bs_memory_staged_space (id, provider, model, dimensions, metric) VALUES (1, ");
        space::push_space_values(&mut sql, space);
        sql.push(")");
        txn.execute_raw(sql.build()).await?;
    }
    let progress = progress_of(&txn, space.clone()).await?;
    txn.commit().await?;
    Ok(progress)
}

pub(super) async fn progress(db: &DatabaseConnection) -> OpResult<Option<ReembedProgress>> {
    let Some(space) = staged_space(db, RowLock::None).await? else { return Ok(None) };
    Ok(Some(progress_of(db, space).await?))
}

pub(super) async fn pending(db: &DatabaseConnection, limit: usize) -> OpResult<Vec<PendingText>> {
    check_pending_limit(limit)?;
    if staged_space(db, RowLock::None).await?.is_none() {
        return Err(not_staged(Restaged::Memories).into());
    }
    let mut sql = Sql::new();
    sql.push("SELECT m.id, m.content, ").push(REVISION).push(" AS revision FROM bs_memories m ");
    sql.push("LEFT JOIN bs_memory_staged_vectors s ON s.memory_id = m.id AND s.revision = ").push(REVISION);
    sql.push(" WHERE s.memory_id IS NULL ORDER BY m.id LIMIT ").push_count(limit);
    let get = decode_error("memories pending re-embedding");
    let rows = db.query_all_raw(sql.build()).await?;
    rows.iter()
        .map(|row| {
            let id: Uuid = row.try_get("", "id").map_err(&get)?;
            Ok(PendingText {
                id: id.to_string(),
                text: row.try_get("", "content").map_err(&get)?,
                revision: row.try_get("", "revision").map_err(&get)?,
            })
        })
        .collect()
}

pub(super) async fn stage(db: &DatabaseConnection, vectors: Vec<StagedVector>) -> OpResult<u64> {
    let space = staged_space(db, RowLock::None).await?;
    check_staged_vectors(Restaged::Memories, space.as_ref(), &vectors)?;
    if vectors.is_empty() {
        return Ok(0);
    }
    let txn = sea_orm::TransactionTrait::begin(db).await?;
    // Shared: a switch or an abandon (which take it exclusively) waits for this write, or this for them.
    if staged_space(&txn, RowLock::Share).await? != space {
        return Err(StorageError::Conflict {
            reason: "the re-embedding of the memory space was switched or abandoned meanwhile".to_owned(),
        }
        .into());
    }
    let mut sql = Sql::new();
    sql.push(
        "INSERT INTO bs_memory_staged_vectors (memory_id, revision, embedding) SELECT v.id, v.revision, v.embedding ",
    );
    sql.push("FROM (VALUES ");
    for (index, vector) in vectors.iter().enumerate() {
        if index > 0 {
            sql.push(", ");
        }
        let id = Uuid::parse_str(&vector.id).map_err(|e| StorageError::invalid("vectors.id", e.to_string()))?;
        sql.push("(").bind(id).push("::uuid, ").bind(vector.revision).push("::int8, ");
        sql.bind(pg_vector(&vector.embedding)).push("::vector)");
    }
    sql.push(") AS v(id, revision, embedding) JOIN bs_memories m ON m.id = v.id AND ").push(REVISION);
    sql.push(" = v.revision ON CONFLICT (memory_id) DO UPDATE SET revision = EXCLUDED.revision, ");
    sql.push("embedding = EXCLUDED.embedding");
    let written = txn.execute_raw(sql.build()).await?.rows_affected();
    txn.commit().await?;
    Ok(written)
}

pub(super) async fn switch(
    db: &DatabaseConnection,
    pgvector: Option<PgvectorVersion>,
    hnsw: HnswParams,
    now: DateTime<Utc>,
) -> OpResult<ReembedProgress> {
    let txn = migration::locked(db).await?;
    // Holds off writes of embeddings (they hold the space row shared) until the switch commits.
    space::read(&txn, RowLock::Update).await?;
    // And every other write of memories (one without an embedding holds no space row): a memory
    // committed after the count below would switch without a vector, or with one of its old content.
    // Taken after the space row, the order writers of embeddings take them in; recall still reads.
    let mut hold_writes = Sql::new();
    hold_writes.push("LOCK TABLE bs_memories IN EXCLUSIVE MODE");
    txn.execute_raw(hold_writes.build()).await?;
    let staged = staged_space(&txn, RowLock::Update).await?.ok_or_else(|| not_staged(Restaged::Memories))?;
    let progress = progress_of(&txn, staged).await?;
    check_switch(Restaged::Memories, &progress)?;
    let layout = VectorLayout::new(&progress.space);
    layout.check_supported(pgvector)?;
    space::untype_column(&txn).await?;
    let mut fill = Sql::new();
    fill.push("UPDATE bs_memories m SET embedding = s.embedding, embedding_model = ");
    fill.bind(progress.space.model.clone()).push(", stale = false FROM bs_memory_staged_vectors s ");
    fill.push("WHERE s.memory_id = m.id");
    txn.execute_raw(fill.build()).await?;
    space::type_column(&txn, layout, hnsw).await?;
    space::record(&txn, &progress.space, now).await?;
    let mut drop_staging = Sql::new();
    drop_staging.push("DELETE FROM bs_memory_staged_space");
    txn.execute_raw(drop_staging.build()).await?;
    txn.commit().await?;
    Ok(progress)
}

pub(super) async fn abandon(db: &DatabaseConnection) -> OpResult<bool> {
    let txn = migration::locked(db).await?;
    let mut sql = Sql::new();
    sql.push("DELETE FROM bs_memory_staged_space");
    let deleted = txn.execute_raw(sql.build()).await?.rows_affected();
    txn.commit().await?;
    Ok(deleted > 0)
}
