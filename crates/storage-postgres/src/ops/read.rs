//! `get` and `list`: chunks by id, and pages in bytewise id order (the id column is `COLLATE "C"`).

use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use storage_core::{ListRequest, StorageError, StoredChunk};

use super::{Sql, embedding_from, metadata_from};
use crate::filter_sql::where_expr;
use crate::schema::ChunkTable;

const COLUMNS: &str = "SELECT id, \"text\", metadata, embedding, created_at, updated_at FROM ";

fn decode(row: &QueryResult) -> Result<StoredChunk, StorageError> {
    let get_err = |error: DbErr| StorageError::backend("reading a chunk", error);
    Ok(StoredChunk {
        id: row.try_get("", "id").map_err(get_err)?,
        text: row.try_get("", "text").map_err(get_err)?,
        metadata: metadata_from(row.try_get("", "metadata").map_err(get_err)?)?,
        embedding: embedding_from(row.try_get("", "embedding").map_err(get_err)?)?,
        created_at: row.try_get("", "created_at").map_err(get_err)?,
        updated_at: row.try_get("", "updated_at").map_err(get_err)?,
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
