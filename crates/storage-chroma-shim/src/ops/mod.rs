//! One file per operation; here the collection lookup and row decoding they share.

pub(crate) mod collections;
pub(crate) mod count;
pub(crate) mod delete;
pub(crate) mod get;
pub(crate) mod hybrid;
pub(crate) mod keyword;
pub(crate) mod reembed;
pub(crate) mod upsert;
pub(crate) mod vector;

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use storage_core::{Bm25Params, CollectionName, Embedding, EmbeddingSpace, Metadata, Metric, StorageError};

use crate::db::{placeholders, stmt};

/// A collection as the `collections` table records it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CollectionRow {
    pub(crate) id: i64,
    pub(crate) uid: String,
    pub(crate) version: i64,
    pub(crate) space: Option<EmbeddingSpace>,
    /// The collection's BM25 parameters, which its keyword leg ranks with.
    pub(crate) bm25: Bm25Params,
}

/// The columns `collection_from_row` reads, in order.
pub(crate) const COLLECTION_COLUMNS: &str = "id, uid, version, provider, model, dimensions, metric, bm25_k1, bm25_b";

pub(crate) fn collection_from_row(row: &QueryResult) -> Result<CollectionRow, DbErr> {
    let dimensions: Option<i64> = row.try_get_by_index(5)?;
    let space = match dimensions {
        None => None,
        Some(dimensions) => {
            let metric: Option<String> = row.try_get_by_index(6)?;
            let metric: Metric =
                metric.as_deref().unwrap_or("cosine").parse().map_err(|e: StorageError| DbErr::Type(e.to_string()))?;
            Some(EmbeddingSpace {
                provider: row.try_get_by_index(3)?,
                model: row.try_get_by_index(4)?,
                dimensions: u32::try_from(dimensions).map_err(|e| DbErr::Type(e.to_string()))?,
                metric,
            })
        }
    };
    Ok(CollectionRow {
        id: row.try_get_by_index(0)?,
        uid: row.try_get_by_index(1)?,
        version: row.try_get_by_index(2)?,
        space,
        bm25: Bm25Params { k1: row.try_get_by_index(7)?, b: row.try_get_by_index(8)? },
    })
}

/// The collection named `name`, if it exists.
pub(crate) async fn find_collection(
    conn: &impl ConnectionTrait,
    name: &CollectionName,
) -> Result<Option<CollectionRow>, DbErr> {
    let sql = format!("SELECT {COLLECTION_COLUMNS} FROM collections WHERE name = ?");
    let row = conn.query_one_raw(stmt(&sql, vec![name.as_str().into()])).await?;
    row.as_ref().map(collection_from_row).transpose()
}

/// Counts a change to the collection (`increment` 1) or only touches it (0), inside a write transaction,
/// and returns the row. Every write transaction starts with it: a write as the first statement is where
/// SQLite waits for the write lock with the busy timeout.
pub(crate) async fn bump_version(
    conn: &impl ConnectionTrait,
    name: &CollectionName,
    increment: i64,
) -> Result<Option<CollectionRow>, DbErr> {
    let sql = format!("UPDATE collections SET version = version + ? WHERE name = ? RETURNING {COLLECTION_COLUMNS}");
    let row = conn.query_one_raw(stmt(&sql, vec![increment.into(), name.as_str().into()])).await?;
    row.as_ref().map(collection_from_row).transpose()
}

/// The error for an operation on a collection that does not exist.
pub(crate) fn missing(name: &CollectionName) -> StorageError {
    StorageError::missing_collection(name)
}

/// A chunk row as searches return it.
#[derive(Clone, Debug)]
pub(crate) struct HitRow {
    pub(crate) id: String,
    pub(crate) text: String,
    pub(crate) metadata: Metadata,
}

/// Metadata read back from its column (validated when it was written).
pub(crate) fn parse_metadata(text: &str) -> Result<Metadata, DbErr> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| DbErr::Json(e.to_string()))?;
    Metadata::from_stored(value).map_err(|e| DbErr::Json(e.to_string()))
}

pub(crate) fn parse_embedding(blob: Option<Vec<u8>>) -> Result<Option<Embedding>, DbErr> {
    blob.map(|blob| {
        let values =
            crate::vector_index::from_blob(&blob).ok_or_else(|| DbErr::Type("embedding blob length".into()))?;
        Embedding::new(values).map_err(|e| DbErr::Type(e.to_string()))
    })
    .transpose()
}

/// The id, text and metadata of chunks by pk.
pub(crate) async fn fetch_hit_rows(conn: &impl ConnectionTrait, pks: &[i64]) -> Result<HashMap<i64, HitRow>, DbErr> {
    let mut rows = HashMap::with_capacity(pks.len());
    for part in pks.chunks(500) {
        let sql = format!("SELECT pk, id, text, metadata FROM chunks WHERE pk IN ({})", placeholders(part.len()));
        let values = part.iter().map(|pk| (*pk).into()).collect();
        for row in conn.query_all_raw(stmt(&sql, values)).await? {
            let metadata: String = row.try_get_by_index(3)?;
            rows.insert(
                row.try_get_by_index::<i64>(0)?,
                HitRow {
                    id: row.try_get_by_index(1)?,
                    text: row.try_get_by_index(2)?,
                    metadata: parse_metadata(&metadata)?,
                },
            );
        }
    }
    Ok(rows)
}

/// Microseconds since the Unix epoch, the stored timestamp format.
pub(crate) fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}
