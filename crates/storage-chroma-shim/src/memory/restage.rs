//! Staged re-embedding of the memory space (storage-core's `reembed` protocol over memories): new vectors
//! in `memory_staged_vectors` beside the current ones in `memories`, each tagged with the memory's
//! `updated_at` when its content was read, so a memory changed since counts as pending again. The switch
//! copies them over, with the new model, in one write transaction.

use sea_orm::{ConnectionTrait, DbErr, Value};
use storage_core::{
    EmbeddingSpace, PendingText, ReembedProgress, Restaged, StagedVector, StorageError, check_pending_limit,
    check_staged_space, check_staged_vectors, check_switch, not_staged,
};

use crate::db::{Db, query_one, stmt};
use crate::ops::collections::space_values;
use crate::ops::now_micros;
use crate::ops::reembed::{pending_from_rows, space_from_row};
use crate::vector_index::to_blob;

/// Vectors per multi-row statement: well under SQLite's 32,766 variables.
const ROWS_PER_STATEMENT: usize = 200;

async fn staged_space(conn: &impl ConnectionTrait) -> Result<Option<EmbeddingSpace>, DbErr> {
    let sql = "SELECT provider, model, dimensions, metric FROM memory_staged_space WHERE id = 1";
    query_one(conn, sql, vec![], space_from_row).await
}

async fn count(conn: &impl ConnectionTrait, sql: &str) -> Result<u64, DbErr> {
    let row = conn.query_one_raw(stmt(sql, vec![])).await?;
    let n: i64 = row.ok_or_else(|| DbErr::RecordNotFound("count".into()))?.try_get_by_index(0)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

async fn progress_of(conn: &impl ConnectionTrait, space: EmbeddingSpace) -> Result<ReembedProgress, DbErr> {
    let total = count(conn, "SELECT count(*) FROM memories").await?;
    let staged = count(
        conn,
        "SELECT count(*) FROM memory_staged_vectors s JOIN memories m ON m.pk = s.memory_pk \
         WHERE s.revision = m.updated_at",
    )
    .await?;
    Ok(ReembedProgress { space, staged, total })
}

pub(super) async fn begin(db: &Db, space: &EmbeddingSpace) -> Result<ReembedProgress, StorageError> {
    space.validate()?;
    let err = db.err("begin memory re-embedding");
    let txn = db.begin_write().await.map_err(&err)?;
    let staged = staged_space(&txn).await.map_err(&err)?;
    check_staged_space(Restaged::Memories, staged.as_ref(), space)?;
    if staged.is_none() {
        let mut values = space_values(Some(space));
        values.push(now_micros().into());
        let sql = "INSERT INTO memory_staged_space (id, provider, model, dimensions, metric, created_at) \
                   VALUES (1, ?, ?, ?, ?, ?)";
        txn.execute_raw(stmt(sql, values)).await.map_err(&err)?;
    }
    let progress = progress_of(&txn, space.clone()).await.map_err(&err)?;
    txn.commit().await.map_err(&err)?;
    Ok(progress)
}

pub(super) async fn progress(db: &Db) -> Result<Option<ReembedProgress>, StorageError> {
    let err = db.err("memory re-embedding progress");
    let Some(space) = staged_space(&db.conn).await.map_err(&err)? else {
        return Ok(None);
    };
    Ok(Some(progress_of(&db.conn, space).await.map_err(&err)?))
}

pub(super) async fn pending(db: &Db, limit: usize) -> Result<Vec<PendingText>, StorageError> {
    check_pending_limit(limit)?;
    let err = db.err("memories pending re-embedding");
    if staged_space(&db.conn).await.map_err(&err)?.is_none() {
        return Err(not_staged(Restaged::Memories));
    }
    let sql = "SELECT m.id, m.content, m.updated_at FROM memories m \
               LEFT JOIN memory_staged_vectors s ON s.memory_pk = m.pk AND s.revision = m.updated_at \
               WHERE s.memory_pk IS NULL ORDER BY m.id LIMIT ?";
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = db.conn.query_all_raw(stmt(sql, vec![limit.into()])).await.map_err(&err)?;
    pending_from_rows(&rows).map_err(&err)
}

pub(super) async fn stage(db: &Db, vectors: Vec<StagedVector>) -> Result<u64, StorageError> {
    let err = db.err("stage re-embedded memory vectors");
    // Validate before taking the write lock, and again under it if the staging changed meanwhile.
    let space = staged_space(&db.conn).await.map_err(&err)?;
    check_staged_vectors(Restaged::Memories, space.as_ref(), &vectors)?;
    if vectors.is_empty() {
        return Ok(0);
    }
    let txn = db.begin_write().await.map_err(&err)?;
    if staged_space(&txn).await.map_err(&err)? != space {
        return Err(StorageError::Conflict {
            reason: "the re-embedding of the memory space was switched or abandoned meanwhile".to_owned(),
        });
    }
    let mut written = 0;
    for part in vectors.chunks(ROWS_PER_STATEMENT) {
        let mut values: Vec<Value> = Vec::with_capacity(part.len() * 3);
        for vector in part {
            values.extend([
                vector.id.clone().into(),
                vector.revision.into(),
                to_blob(vector.embedding.as_slice()).into(),
            ]);
        }
        let rows = vec!["(?, ?, ?)"; part.len()].join(", ");
        // Only memories that still have the revision the vector was computed from take it.
        let sql = format!(
            "WITH v(id, revision, embedding) AS (VALUES {rows}) \
             INSERT INTO memory_staged_vectors (memory_pk, revision, embedding) \
             SELECT m.pk, v.revision, v.embedding FROM v JOIN memories m ON m.id = v.id AND m.updated_at = v.revision \
             WHERE true \
             ON CONFLICT (memory_pk) DO UPDATE SET revision = excluded.revision, embedding = excluded.embedding"
        );
        written += txn.execute_raw(stmt(&sql, values)).await.map_err(&err)?.rows_affected();
    }
    txn.commit().await.map_err(&err)?;
    Ok(written)
}

pub(super) async fn switch(db: &Db) -> Result<ReembedProgress, StorageError> {
    let err = db.err("switch the memories to the re-embedded space");
    let txn = db.begin_write().await.map_err(&err)?;
    let space = staged_space(&txn).await.map_err(&err)?.ok_or_else(|| not_staged(Restaged::Memories))?;
    let progress = progress_of(&txn, space).await.map_err(&err)?;
    check_switch(Restaged::Memories, &progress)?;
    let copy = "UPDATE memories SET embedding = \
                (SELECT s.embedding FROM memory_staged_vectors s WHERE s.memory_pk = memories.pk), \
                embedding_model = ?, stale = 0";
    txn.execute_raw(stmt(copy, vec![progress.space.model.clone().into()])).await.map_err(&err)?;
    super::space::store(&txn, &progress.space).await.map_err(&err)?;
    txn.execute_raw(stmt("DELETE FROM memory_staged_space", vec![])).await.map_err(&err)?;
    txn.commit().await.map_err(&err)?;
    Ok(progress)
}

pub(super) async fn abandon(db: &Db) -> Result<bool, StorageError> {
    let err = db.err("abandon memory re-embedding");
    let txn = db.begin_write().await.map_err(&err)?;
    let deleted = txn.execute_raw(stmt("DELETE FROM memory_staged_space", vec![])).await.map_err(&err)?;
    txn.commit().await.map_err(&err)?;
    Ok(deleted.rows_affected() > 0)
}
