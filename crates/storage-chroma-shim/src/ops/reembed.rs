//! Staged re-embedding (storage-core's `reembed` protocol): new vectors in `staged_vectors` beside the
//! current ones in `chunks`, each tagged with the chunk's `updated_at` when its text was read, so a chunk
//! written since counts as pending again. The switch copies them over in one write transaction.

use sea_orm::{ConnectionTrait, DbErr, QueryResult, Value};
use storage_core::{
    CollectionName, EmbeddingSpace, Metric, PendingText, ReembedProgress, StagedVector, StorageError,
    check_pending_limit, check_staged_space, check_staged_vectors, check_switch, not_staged,
};

use super::collections::{record_space, space_values};
use super::{bump_version, find_collection, missing, now_micros};
use crate::db::{Db, stmt};
use crate::vector_index::to_blob;

/// Vectors per multi-row statement: well under SQLite's 32,766 variables.
const ROWS_PER_STATEMENT: usize = 200;

/// The space staged for collection `collection_id`, if any.
async fn staged_space(conn: &impl ConnectionTrait, collection_id: i64) -> Result<Option<EmbeddingSpace>, DbErr> {
    let sql = "SELECT provider, model, dimensions, metric FROM staged_spaces WHERE collection_id = ?";
    let row = conn.query_one_raw(stmt(sql, vec![collection_id.into()])).await?;
    row.as_ref().map(space_from_row).transpose()
}

pub(crate) fn space_from_row(row: &QueryResult) -> Result<EmbeddingSpace, DbErr> {
    let dimensions: i64 = row.try_get_by_index(2)?;
    let metric: String = row.try_get_by_index(3)?;
    Ok(EmbeddingSpace {
        provider: row.try_get_by_index(0)?,
        model: row.try_get_by_index(1)?,
        dimensions: u32::try_from(dimensions).map_err(|e| DbErr::Type(e.to_string()))?,
        metric: metric.parse::<Metric>().map_err(|e| DbErr::Type(e.to_string()))?,
    })
}

async fn count(conn: &impl ConnectionTrait, sql: &str, collection_id: i64) -> Result<u64, DbErr> {
    let row = conn.query_one_raw(stmt(sql, vec![collection_id.into()])).await?;
    let n: i64 = row.ok_or_else(|| DbErr::RecordNotFound("count".into()))?.try_get_by_index(0)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

async fn progress_of(
    conn: &impl ConnectionTrait,
    collection_id: i64,
    space: EmbeddingSpace,
) -> Result<ReembedProgress, DbErr> {
    let total = count(conn, "SELECT count(*) FROM chunks WHERE collection_id = ?", collection_id).await?;
    let staged = count(
        conn,
        "SELECT count(*) FROM staged_vectors s JOIN chunks c ON c.pk = s.chunk_pk \
         WHERE s.collection_id = ? AND s.revision = c.updated_at",
        collection_id,
    )
    .await?;
    Ok(ReembedProgress { space, staged, total })
}

pub(crate) async fn begin(
    db: &Db,
    name: &CollectionName,
    space: &EmbeddingSpace,
) -> Result<ReembedProgress, StorageError> {
    space.validate()?;
    let err = db.err("begin re-embedding");
    let txn = db.begin_write().await.map_err(&err)?;
    let row = bump_version(&txn, name, 0).await.map_err(&err)?.ok_or_else(|| missing(name))?;
    let staged = staged_space(&txn, row.id).await.map_err(&err)?;
    check_staged_space(name, staged.as_ref(), space)?;
    if staged.is_none() {
        let mut values = vec![row.id.into()];
        values.extend(space_values(Some(space)));
        values.push(now_micros().into());
        let sql = "INSERT INTO staged_spaces (collection_id, provider, model, dimensions, metric, created_at) \
                   VALUES (?, ?, ?, ?, ?, ?)";
        txn.execute_raw(stmt(sql, values)).await.map_err(&err)?;
    }
    let progress = progress_of(&txn, row.id, space.clone()).await.map_err(&err)?;
    txn.commit().await.map_err(&err)?;
    Ok(progress)
}

pub(crate) async fn progress(db: &Db, name: &CollectionName) -> Result<Option<ReembedProgress>, StorageError> {
    let err = db.err("re-embedding progress");
    let row = find_collection(&db.conn, name).await.map_err(&err)?.ok_or_else(|| missing(name))?;
    let Some(space) = staged_space(&db.conn, row.id).await.map_err(&err)? else {
        return Ok(None);
    };
    Ok(Some(progress_of(&db.conn, row.id, space).await.map_err(&err)?))
}

pub(crate) async fn pending(db: &Db, name: &CollectionName, limit: usize) -> Result<Vec<PendingText>, StorageError> {
    check_pending_limit(limit)?;
    let err = db.err("re-embedding pending rows");
    let row = find_collection(&db.conn, name).await.map_err(&err)?.ok_or_else(|| missing(name))?;
    if staged_space(&db.conn, row.id).await.map_err(&err)?.is_none() {
        return Err(not_staged(name));
    }
    let sql = "SELECT c.id, c.text, c.updated_at FROM chunks c \
               LEFT JOIN staged_vectors s ON s.chunk_pk = c.pk AND s.revision = c.updated_at \
               WHERE c.collection_id = ? AND s.chunk_pk IS NULL ORDER BY c.id LIMIT ?";
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = db.conn.query_all_raw(stmt(sql, vec![row.id.into(), limit.into()])).await.map_err(&err)?;
    pending_from_rows(&rows).map_err(&err)
}

/// Decodes the rows of a pending query, which selects id, text and revision in that order.
pub(crate) fn pending_from_rows(rows: &[QueryResult]) -> Result<Vec<PendingText>, DbErr> {
    rows.iter()
        .map(|r| {
            Ok(PendingText {
                id: r.try_get_by_index(0)?,
                text: r.try_get_by_index(1)?,
                revision: r.try_get_by_index(2)?,
            })
        })
        .collect()
}

pub(crate) async fn stage(db: &Db, name: &CollectionName, vectors: Vec<StagedVector>) -> Result<u64, StorageError> {
    let err = db.err("stage re-embedded vectors");
    let seen = find_collection(&db.conn, name).await.map_err(&err)?.ok_or_else(|| missing(name))?;
    // Validate before taking the write lock, and again under it if the staging changed meanwhile.
    let space = staged_space(&db.conn, seen.id).await.map_err(&err)?;
    check_staged_vectors(name, space.as_ref(), &vectors)?;
    if vectors.is_empty() {
        return Ok(0);
    }
    let txn = db.begin_write().await.map_err(&err)?;
    let row = bump_version(&txn, name, 0).await.map_err(&err)?.ok_or_else(|| missing(name))?;
    if row.id != seen.id || staged_space(&txn, row.id).await.map_err(&err)? != space {
        return Err(StorageError::Conflict {
            reason: format!("the re-embedding of collection `{name}` was switched or abandoned meanwhile"),
        });
    }
    let mut written = 0;
    for part in vectors.chunks(ROWS_PER_STATEMENT) {
        let mut values: Vec<Value> = Vec::with_capacity(part.len() * 3 + 2);
        for vector in part {
            values.extend([
                vector.id.clone().into(),
                vector.revision.into(),
                to_blob(vector.embedding.as_slice()).into(),
            ]);
        }
        values.extend([row.id.into(), row.id.into()]);
        let rows = vec!["(?, ?, ?)"; part.len()].join(", ");
        // Only rows that still have the revision the vector was computed from take it.
        let sql = format!(
            "WITH v(id, revision, embedding) AS (VALUES {rows}) \
             INSERT INTO staged_vectors (chunk_pk, collection_id, revision, embedding) \
             SELECT c.pk, ?, v.revision, v.embedding FROM v JOIN chunks c ON c.id = v.id AND c.updated_at = v.revision \
             WHERE c.collection_id = ? \
             ON CONFLICT (chunk_pk) DO UPDATE SET revision = excluded.revision, embedding = excluded.embedding"
        );
        written += txn.execute_raw(stmt(&sql, values)).await.map_err(&err)?.rows_affected();
    }
    txn.commit().await.map_err(&err)?;
    Ok(written)
}

/// Returns the final counts and the collection's id, whose in-memory vector index the caller forgets.
pub(crate) async fn switch(db: &Db, name: &CollectionName) -> Result<(ReembedProgress, i64), StorageError> {
    let err = db.err("switch to the re-embedded space");
    let txn = db.begin_write().await.map_err(&err)?;
    let row = bump_version(&txn, name, 1).await.map_err(&err)?.ok_or_else(|| missing(name))?;
    let space = staged_space(&txn, row.id).await.map_err(&err)?.ok_or_else(|| not_staged(name))?;
    let progress = progress_of(&txn, row.id, space).await.map_err(&err)?;
    check_switch(name, &progress)?;
    let copy = "UPDATE chunks SET embedding = (SELECT s.embedding FROM staged_vectors s WHERE s.chunk_pk = chunks.pk) \
                WHERE collection_id = ?";
    txn.execute_raw(stmt(copy, vec![row.id.into()])).await.map_err(&err)?;
    record_space(&txn, name, Some(&progress.space)).await.map_err(&err)?;
    txn.execute_raw(stmt("DELETE FROM staged_spaces WHERE collection_id = ?", vec![row.id.into()]))
        .await
        .map_err(&err)?;
    txn.commit().await.map_err(&err)?;
    Ok((progress, row.id))
}

pub(crate) async fn abandon(db: &Db, name: &CollectionName) -> Result<bool, StorageError> {
    let err = db.err("abandon re-embedding");
    let txn = db.begin_write().await.map_err(&err)?;
    let row = bump_version(&txn, name, 0).await.map_err(&err)?.ok_or_else(|| missing(name))?;
    let deleted = txn
        .execute_raw(stmt("DELETE FROM staged_spaces WHERE collection_id = ?", vec![row.id.into()]))
        .await
        .map_err(&err)?;
    txn.commit().await.map_err(&err)?;
    Ok(deleted.rows_affected() > 0)
}
