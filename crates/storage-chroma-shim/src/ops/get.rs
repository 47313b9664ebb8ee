//! Reading chunks back: one by id, many by ids or filters, or a page in bytewise id order.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, QueryResult, Value};
use storage_core::{
    CollectionName, FetchedChunk, GetRequest, Include, ListRequest, StorageError, StoredChunk, check_id,
};

use super::{find_collection, missing, parse_embedding, parse_metadata};
use crate::columns::time;
use crate::db::{Db, placeholders, stmt};
use crate::filter_sql::{conditions, metadata_condition};

const CHUNK_COLUMNS: &str = "c.id, c.text, c.metadata, c.embedding, c.created_at, c.updated_at";

fn stored_chunk(row: &QueryResult) -> Result<StoredChunk, DbErr> {
    let metadata: String = row.try_get_by_index(2)?;
    Ok(StoredChunk {
        id: row.try_get_by_index(0)?,
        text: row.try_get_by_index(1)?,
        metadata: parse_metadata(&metadata)?,
        embedding: parse_embedding(row.try_get_by_index(3)?)?,
        created_at: time(row.try_get_by_index(4)?)?,
        updated_at: time(row.try_get_by_index(5)?)?,
    })
}

/// A read snapshot, which every read runs in, and the id of collection `name` in it; `err` maps the
/// failure to begin it.
async fn snapshot(
    db: &Db,
    name: &CollectionName,
    err: impl Fn(DbErr) -> StorageError,
) -> Result<(DatabaseTransaction, i64), StorageError> {
    let txn = db.begin_read().await.map_err(err)?;
    let found = find_collection(&txn, name).await.map_err(db.err("read"))?;
    Ok((txn, found.ok_or_else(|| missing(name))?.id))
}

pub(crate) async fn get(db: &Db, name: &CollectionName, id: &str) -> Result<Option<StoredChunk>, StorageError> {
    check_id(id, "id")?;
    let err = db.err("get");
    let (txn, collection_id) = snapshot(db, name, &err).await?;
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
    let (txn, collection_id) = snapshot(db, name, &err).await?;
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

/// `c.id, c.created_at, c.updated_at` and the included parts, `NULL` for the others, so every row decodes
/// the same way.
fn fetched_columns(include: Include) -> String {
    let part = |wanted: bool, column: &'static str| if wanted { column } else { "NULL" };
    format!(
        "c.id, c.created_at, c.updated_at, {}, {}, {}",
        part(include.text, "c.text"),
        part(include.metadata, "c.metadata"),
        part(include.embedding, "c.embedding")
    )
}

fn fetched_chunk(row: &QueryResult) -> Result<FetchedChunk, DbErr> {
    let metadata: Option<String> = row.try_get_by_index(4)?;
    Ok(FetchedChunk {
        id: row.try_get_by_index(0)?,
        created_at: time(row.try_get_by_index(1)?)?,
        updated_at: time(row.try_get_by_index(2)?)?,
        text: row.try_get_by_index(3)?,
        metadata: metadata.as_deref().map(parse_metadata).transpose()?,
        embedding: parse_embedding(row.try_get_by_index(5)?)?,
    })
}

/// SQLite binds at most 32,766 parameters; ids go in slices well under that, next to the filter's own.
const IDS_PER_STATEMENT: usize = 900;

pub(crate) async fn get_many(
    db: &Db,
    name: &CollectionName,
    request: &GetRequest,
) -> Result<Vec<FetchedChunk>, StorageError> {
    request.validate()?;
    let err = db.err("get");
    let (txn, collection_id) = snapshot(db, name, &err).await?;
    let condition = conditions(request.filter.as_ref(), request.document_filter.as_ref());
    let select = format!(
        "SELECT {} FROM chunks c WHERE {} AND ({})",
        fetched_columns(request.include),
        condition.collection_term(),
        condition.sql
    );
    let head = || -> Vec<Value> {
        let mut values = vec![collection_id.into()];
        values.extend(condition.values.iter().cloned());
        values
    };
    let mut rows = Vec::new();
    match &request.ids {
        Some(ids) => {
            for part in ids.chunks(IDS_PER_STATEMENT) {
                let sql = format!("{select} AND c.id IN ({})", placeholders(part.len()));
                let mut values = head();
                values.extend(part.iter().map(|id| Value::from(id.clone())));
                rows.extend(txn.query_all_raw(stmt(&sql, values)).await.map_err(&err)?);
            }
        }
        None => {
            // TEXT compares with the BINARY collation, memcmp over UTF-8: bytewise id order.
            let sql = format!("{select} ORDER BY c.id LIMIT ? OFFSET ?");
            let mut values = head();
            values.push(i64::try_from(request.effective_limit()).unwrap_or(i64::MAX).into());
            values.push(request.offset_i64().into());
            rows = txn.query_all_raw(stmt(&sql, values)).await.map_err(&err)?;
        }
    }
    let chunks = rows.iter().map(fetched_chunk).collect::<Result<Vec<_>, _>>().map_err(&err)?;
    txn.commit().await.map_err(&err)?;
    Ok(request.arrange(chunks))
}
