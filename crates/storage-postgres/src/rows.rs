//! Running a statement of the memory, session and task SQL and decoding the rows it returns.

use sea_orm::{ConnectionTrait, QueryResult};
use storage_core::StorageError;

use crate::failure::OpResult;
use crate::ops::Sql;

/// How one row becomes a core type (`session::row::session`, `memory::row::decode`, ...).
pub(crate) type Decode<T> = fn(&QueryResult) -> Result<T, StorageError>;

/// The row `sql` selects or returns, if any, decoded by `decode`.
pub(crate) async fn query_one<T>(db: &impl ConnectionTrait, sql: Sql, decode: Decode<T>) -> OpResult<Option<T>> {
    match db.query_one_raw(sql.build()).await? {
        Some(row) => Ok(Some(decode(&row)?)),
        None => Ok(None),
    }
}

/// Every row `sql` selects or returns, decoded by `decode`.
pub(crate) async fn query_all<T>(db: &impl ConnectionTrait, sql: Sql, decode: Decode<T>) -> OpResult<Vec<T>> {
    let rows = db.query_all_raw(sql.build()).await?;
    Ok(rows.iter().map(decode).collect::<Result<_, _>>()?)
}
