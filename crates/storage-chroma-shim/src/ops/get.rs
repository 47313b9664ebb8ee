//! Reading chunks back: one by id, or a page in bytewise id order.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use storage_core::{CollectionName, ListRequest, StorageError, StoredChunk, check_id};

use super::{find_collection, missing, parse_embedding, parse_metadata};
use crate::db::{Db, stmt};
use crate::filter_sql::metadata_condition;

const CHUNK_COLUMNS: &str = "c.id, c.text, c.metadata, c.embedding, c.created_at, c.updated_at";

fn timestamp(micros: i64) -> Result<DateTime<Utc>, DbErr> {
    DateTime::from_timestamp_micros(micros).ok_or_else(|| DbErr::Type(format!("timestamp {micros} out of range")))
}

fn stored_chunk(row: &QueryResult) -> Result<StoredChunk, DbErr> {
    let metadata: String = row.try_get_by_index(2)?;
    Ok(StoredChunk {
        id: row.try_get_by_index(0)?,
        text: row.try_get_by_index(1)?,
        metadata: parse_metadata(&metadata)?,
        embedding: parse_embedding(row.try_get_by_index(3)?)?,
        created_at: timestamp(row.try_get_by_index(4)?)?,
        updated_at: timestamp(row.try_get_by_index(5)?)?,
    })
}

async fn collection_id(conn: &impl ConnectionTrait, db: &Db, name: &CollectionName) -> Result<i64, StorageError> {
    let found = find_collection(conn, name).await.map_err(db.err("read"))?;
    Ok(found.ok_or_else(|| missing(name))?.id)
}

pub(crate) async fn get(db: &Db, name: &CollectionName, id: &str) -> Result<Option<StoredChunk>, StorageError> {
    check_id(id, "id")?;
    let err = db.err("get");
    let txn = db.begin_read().await.map_err(&err)?;
    let collection_id = collection_id(&txn, db, name).await?;
    let sql = format!("SELECT {CHUNK_COLUMNS} FROM chunks c WHERE c.collection_id = ? AND c.id = ?");
    let row = txn.query_one_raw(stmt(&sql, vec![collection_id.into(), id.into()])).await.map_err(&err)?;
    let chunk = row.as_ref().map(stored_chunk).transpose().map_err(&err)?;
    txn.commit().await.map_err(&err)?;
    Ok(chunk)
}

pub(crate) async fn list(
    db: &Db,
    name: &CollectionName,
    request: &ListRequest,
) -> Result<Vec<StoredChunk>, StorageError> {
    request.validate()?;
    let err = db.err("list");
    let txn = db.begin_read().await.map_err(&err)?;
    let collection_id = collection_id(&txn, db, name).await?;
    let condition = request.filter.as_ref().map(metadata_condition);
    let mut values = vec![collection_id.into(), request.after_id.clone().unwrap_or_default().into()];
    values.extend(condition.iter().flat_map(|c| c.values.iter().cloned()));
    values.push(i64::try_from(request.limit).unwrap_or(i64::MAX).into());
    // TEXT compares with the BINARY collation, memcmp over UTF-8: bytewise id order.
    let sql = format!(
        "SELECT {CHUNK_COLUMNS} FROM chunks c WHERE {} AND c.id > ? AND ({}) ORDER BY c.id LIMIT ?",
        condition.as_ref().map_or("c.collection_id = ?", |c| c.collection_term()),
        condition.as_ref().map_or("1", |c| c.sql.as_str())
    );
    let rows = txn.query_all_raw(stmt(&sql, values)).await.map_err(&err)?;
    let chunks = rows.iter().map(stored_chunk).collect::<Result<Vec<_>, _>>().map_err(&err)?;
    txn.commit().await.map_err(&err)?;
    Ok(chunks)
}
