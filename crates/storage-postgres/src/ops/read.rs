//! `get`, `get_many` and `list`: chunks by id, many by ids or filters, and pages in bytewise id order (the
//! id column is `COLLATE "C"`).

use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use storage_core::{FetchedChunk, GetRequest, ListRequest, StorageError, StoredChunk};

use super::{Sql, embedding_from, metadata_from};
use crate::failure::decode_error;
use crate::filter_sql::where_expr;
use crate::schema::ChunkTable;

const COLUMNS: &str = "SELECT id, \"text\", metadata, embedding, created_at, updated_at FROM ";

fn decode(row: &QueryResult) -> Result<StoredChunk, StorageError> {
    let get_err = decode_error("a chunk");
    Ok(StoredChunk {
        id: row.try_get("", "id").map_err(&get_err)?,
        text: row.try_get("", "text").map_err(&get_err)?,
        metadata: metadata_from(row.try_get("", "metadata").map_err(&get_err)?)?,
        embedding: embedding_from(row.try_get("", "embedding").map_err(&get_err)?)?,
        created_at: row.try_get("", "created_at").map_err(&get_err)?,
        updated_at: row.try_get("", "updated_at").map_err(&get_err)?,
    })
}

/// One chunk by id.
pub(crate) async fn get(
    db: &impl ConnectionTrait,
    table: &ChunkTable,
    id: &str,
) -> Result<Result<Option<StoredChunk>, StorageError>, DbErr> {
    let mut sql = Sql::new();
    sql.push(COLUMNS).table(table).push(" WHERE id = ").bind(id);
    let row = db.query_one_raw(sql.build()).await?;
    Ok(row.as_ref().map(decode).transpose())
}

/// A page of chunks after `request.after_id`, in id order.
pub(crate) async fn list(
    db: &impl ConnectionTrait,
    table: &ChunkTable,
    request: &ListRequest,
) -> Result<Result<Vec<StoredChunk>, StorageError>, DbErr> {
    let mut sql = Sql::new();
    sql.push(COLUMNS).table(table).push(" WHERE true");
    if let Some(after) = &request.after_id {
        sql.push(" AND id > ").bind(after.as_str());
    }
    if let Some(condition) = where_expr(request.filter.as_ref(), None) {
        sql.push(" AND ").expr(&condition);
    }
    sql.push(" ORDER BY id LIMIT ").push_count(request.limit);
    let rows = db.query_all_raw(sql.build()).await?;
    Ok(rows.iter().map(decode).collect())
}

/// Many chunks by ids and/or filters, only the included parts read (`NULL` for the others, so every row
/// decodes the same way); ordered and paged as `GetRequest` says.
pub(crate) async fn get_many(
    db: &impl ConnectionTrait,
    table: &ChunkTable,
    request: &GetRequest,
) -> Result<Result<Vec<FetchedChunk>, StorageError>, DbErr> {
    let include = request.include;
    let mut sql = Sql::new();
    sql.push("SELECT id, created_at, updated_at, ");
    sql.push(if include.text { "\"text\", " } else { "NULL::text AS \"text\", " });
    sql.push(if include.metadata { "metadata, " } else { "NULL::jsonb AS metadata, " });
    sql.push(if include.embedding { "embedding FROM " } else { "NULL::vector AS embedding FROM " });
    sql.table(table).push(" WHERE true");
    if let Some(ids) = &request.ids {
        sql.push(" AND id = ANY(").bind(ids.clone()).push(")");
    }
    if let Some(condition) = where_expr(request.filter.as_ref(), request.document_filter.as_ref()) {
        sql.push(" AND ").expr(&condition);
    }
    if request.ids.is_none() {
        sql.push(" ORDER BY id LIMIT ").push_count(request.effective_limit());
        sql.push(" OFFSET ").bind(request.offset_i64());
    }
    let rows = db.query_all_raw(sql.build()).await?;
    let fetched: Result<Vec<FetchedChunk>, StorageError> = rows.iter().map(decode_fetched).collect();
    Ok(fetched.map(|rows| request.arrange(rows)))
}

fn decode_fetched(row: &QueryResult) -> Result<FetchedChunk, StorageError> {
    let get_err = decode_error("a chunk");
    let metadata: Option<serde_json::Value> = row.try_get("", "metadata").map_err(&get_err)?;
    Ok(FetchedChunk {
        id: row.try_get("", "id").map_err(&get_err)?,
        text: row.try_get("", "text").map_err(&get_err)?,
        metadata: metadata.map(metadata_from).transpose()?,
        embedding: embedding_from(row.try_get("", "embedding").map_err(&get_err)?)?,
        created_at: row.try_get("", "created_at").map_err(&get_err)?,
        updated_at: row.try_get("", "updated_at").map_err(&get_err)?,
    })
}
