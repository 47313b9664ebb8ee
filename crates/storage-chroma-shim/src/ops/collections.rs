//! Creating, listing, dropping, emptying and resetting collections, and recording their embedding spaces.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, QueryResult};
use storage_core::{Bm25Params, CollectionInfo, CollectionName, EmbeddingSpace, StorageError, VectorIndexState};

use super::{
    COLLECTION_COLUMNS, CollectionRow, bump_version, collection_from_row, find_collection, missing, now_micros,
};
use crate::db::{Db, stmt};
use crate::schema;

/// A space as its stored columns `provider, model, dimensions, metric` (all `NULL` for none).
pub(crate) fn space_values(space: Option<&EmbeddingSpace>) -> Vec<sea_orm::Value> {
    vec![
        space.and_then(|s| s.provider.clone()).into(),
        space.and_then(|s| s.model.clone()).into(),
        space.map(|s| i64::from(s.dimensions)).into(),
        space.map(|s| s.metric.as_str().to_owned()).into(),
    ]
}

async fn count_rows(conn: &impl ConnectionTrait, sql: &str, collection_id: i64) -> Result<u64, DbErr> {
    let row = conn.query_one_raw(stmt(sql, vec![collection_id.into()])).await?;
    Ok(row.map(|r| r.try_get_by_index::<i64>(0)).transpose()?.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
}

async fn info(conn: &impl ConnectionTrait, name: &CollectionName, row: CollectionRow) -> Result<CollectionInfo, DbErr> {
    let count = count_rows(conn, "SELECT count(*) FROM chunks WHERE collection_id = ?", row.id).await?;
    // Answered from the partial index `chunks_embedded`.
    let embedded =
        count_rows(conn, "SELECT count(*) FROM chunks WHERE collection_id = ? AND embedding IS NOT NULL", row.id)
            .await?;
    // The vector index lives in memory and is built from SQLite on the first search, so it is never missing.
    let vector_index = if row.space.is_some() { VectorIndexState::Ready } else { VectorIndexState::NotNeeded };
    Ok(CollectionInfo {
        name: name.clone(),
        embedding_space: row.space,
        count,
        embedded_count: embedded,
        vector_index,
        bm25: row.bm25,
    })
}

/// Creates the collection, or returns it when it exists with a compatible (or no) space, recording a
/// provider and model given for the first time.
pub(crate) async fn create(
    db: &Db,
    name: &CollectionName,
    space: Option<&EmbeddingSpace>,
) -> Result<CollectionInfo, StorageError> {
    if let Some(space) = space {
        space.validate()?;
    }
    let err = db.err("create collection");
    let txn = db.begin_write().await.map_err(&err)?;
    let row = match bump_version(&txn, name, 0).await.map_err(&err)? {
        Some(existing) => match (&existing.space, space) {
            (Some(stored), Some(given)) => match stored.completed_by(name, given)? {
                Some(completed) => record_space(&txn, name, Some(&completed)).await.map_err(&err)?,
                None => existing,
            },
            (None, Some(given)) => record_space(&txn, name, Some(given)).await.map_err(&err)?,
            _ => existing,
        },
        None => {
            let mut values = vec![name.as_str().into(), uuid::Uuid::new_v4().to_string().into()];
            values.extend(space_values(space));
            values.push(now_micros().into());
            let sql = format!(
                "INSERT INTO collections (name, uid, provider, model, dimensions, metric, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {COLLECTION_COLUMNS}"
            );
            let row = txn.query_one_raw(stmt(&sql, values)).await.map_err(&err)?;
            let row = row
                .as_ref()
                .map(collection_from_row)
                .transpose()
                .map_err(&err)?
                .ok_or_else(|| StorageError::backend("create collection", "the insert returned no row"))?;
            schema::create_keyword_index(&txn, row.id).await.map_err(&err)?;
            row
        }
    };
    let info = info(&txn, name, row).await.map_err(&err)?;
    txn.commit().await.map_err(&err)?;
    Ok(info)
}

pub(crate) async fn record_space(
    conn: &impl ConnectionTrait,
    name: &CollectionName,
    space: Option<&EmbeddingSpace>,
) -> Result<CollectionRow, DbErr> {
    let mut values = space_values(space);
    values.push(name.as_str().into());
    let sql = format!(
        "UPDATE collections SET provider = ?, model = ?, dimensions = ?, metric = ? WHERE name = ? RETURNING {COLLECTION_COLUMNS}"
    );
    let row = conn.query_one_raw(stmt(&sql, values)).await?;
    row.as_ref().map(collection_from_row).transpose()?.ok_or_else(|| DbErr::RecordNotFound(name.to_string()))
}

/// Records the collection's BM25 parameters.
pub(crate) async fn set_bm25(db: &Db, name: &CollectionName, params: Bm25Params) -> Result<(), StorageError> {
    params.validate()?;
    let err = db.err("set BM25 parameters");
    let txn = db.begin_write().await.map_err(&err)?;
    let sql = "UPDATE collections SET bm25_k1 = ?, bm25_b = ? WHERE name = ?";
    let result = txn
        .execute_raw(stmt(sql, vec![params.k1.into(), params.b.into(), name.as_str().into()]))
        .await
        .map_err(&err)?;
    if result.rows_affected() == 0 {
        return Err(missing(name));
    }
    txn.commit().await.map_err(&err)
}

fn row_name(row: &QueryResult) -> Result<CollectionName, DbErr> {
    let name: String = row.try_get_by_index(9)?;
    CollectionName::new(name).map_err(|e| DbErr::Type(e.to_string()))
}

/// Every collection, by name.
pub(crate) async fn list(db: &Db) -> Result<Vec<CollectionInfo>, StorageError> {
    let err = db.err("list collections");
    let sql = format!("SELECT {COLLECTION_COLUMNS}, name FROM collections ORDER BY name");
    let rows = db.conn.query_all_raw(stmt(&sql, vec![])).await.map_err(&err)?;
    let mut infos = Vec::with_capacity(rows.len());
    for row in &rows {
        let name = row_name(row).map_err(&err)?;
        let collection = collection_from_row(row).map_err(&err)?;
        infos.push(info(&db.conn, &name, collection).await.map_err(&err)?);
    }
    Ok(infos)
}

/// One collection's info.
pub(crate) async fn get(db: &Db, name: &CollectionName) -> Result<Option<CollectionInfo>, StorageError> {
    let err = db.err("get collection");
    let txn = db.begin_read().await.map_err(&err)?;
    let Some(row) = find_collection(&txn, name).await.map_err(&err)? else { return Ok(None) };
    let info = info(&txn, name, row).await.map_err(&err)?;
    txn.commit().await.map_err(&err)?;
    Ok(Some(info))
}

/// Drops the collection, its chunks and its keyword index. Returns the dropped collection's id.
pub(crate) async fn drop_collection(db: &Db, name: &CollectionName) -> Result<Option<i64>, StorageError> {
    let err = db.err("drop collection");
    let txn = db.begin_write().await.map_err(&err)?;
    let Some(row) = bump_version(&txn, name, 1).await.map_err(&err)? else { return Ok(None) };
    schema::drop_keyword_index(&txn, row.id).await.map_err(&err)?;
    txn.execute_raw(stmt("DELETE FROM collections WHERE id = ?", vec![row.id.into()])).await.map_err(&err)?;
    txn.commit().await.map_err(&err)?;
    Ok(Some(row.id))
}

/// Records the collection's space; the same space again is a no-op, a different one is refused.
pub(crate) async fn set_space(db: &Db, name: &CollectionName, space: &EmbeddingSpace) -> Result<(), StorageError> {
    space.validate()?;
    let err = db.err("set embedding space");
    let txn = db.begin_write().await.map_err(&err)?;
    let row = bump_version(&txn, name, 0).await.map_err(&err)?.ok_or_else(|| missing(name))?;
    let record = match &row.space {
        Some(stored) => stored.completed_by(name, space)?,
        None => Some(space.clone()),
    };
    if let Some(space) = record {
        record_space(&txn, name, Some(&space)).await.map_err(&err)?;
    }
    txn.commit().await.map_err(&err)
}

/// Empties the collection and forgets its space. Returns the collection's id.
pub(crate) async fn reset(db: &Db, name: &CollectionName) -> Result<i64, StorageError> {
    let err = db.err("reset");
    let txn = db.begin_write().await.map_err(&err)?;
    let row = bump_version(&txn, name, 1).await.map_err(&err)?.ok_or_else(|| missing(name))?;
    empty(&txn, row.id).await.map_err(&err)?;
    // A re-embedding staged for the old contents has nothing left to do.
    txn.execute_raw(stmt("DELETE FROM staged_spaces WHERE collection_id = ?", vec![row.id.into()]))
        .await
        .map_err(&err)?;
    record_space(&txn, name, None).await.map_err(&err)?;
    txn.commit().await.map_err(&err)?;
    Ok(row.id)
}

/// Deletes every chunk and keeps the collection's space. Returns the collection's id and how many chunks
/// were deleted.
pub(crate) async fn delete_all(db: &Db, name: &CollectionName) -> Result<(i64, u64), StorageError> {
    let err = db.err("delete all");
    let txn = db.begin_write().await.map_err(&err)?;
    let row = bump_version(&txn, name, 1).await.map_err(&err)?.ok_or_else(|| missing(name))?;
    let deleted = empty(&txn, row.id).await.map_err(&err)?;
    txn.commit().await.map_err(&err)?;
    Ok((row.id, deleted))
}

/// Deletes a collection's chunks (their metadata rows cascade) and keyword index rows; returns how many.
async fn empty(txn: &DatabaseTransaction, collection_id: i64) -> Result<u64, DbErr> {
    // Dropping and re-creating the keyword index is faster than deleting its rows one by one.
    schema::drop_keyword_index(txn, collection_id).await?;
    schema::create_keyword_index(txn, collection_id).await?;
    let deleted =
        txn.execute_raw(stmt("DELETE FROM chunks WHERE collection_id = ?", vec![collection_id.into()])).await?;
    Ok(deleted.rows_affected())
}
