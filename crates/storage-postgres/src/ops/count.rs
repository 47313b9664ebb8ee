//! `count`: chunks of a collection, optionally filtered.

use sea_orm::{ConnectionTrait, DbErr};
use storage_core::Filter;

use super::Sql;
use crate::filter_sql::where_expr;
use crate::schema::ChunkTable;

/// How many chunks match `filter`.
pub(crate) async fn count(
    db: &impl ConnectionTrait,
    table: &ChunkTable,
    filter: Option<&Filter>,
) -> Result<u64, DbErr> {
    let mut sql = Sql::new();
    sql.push("SELECT count(*) AS n FROM ").table(table);
    if let Some(condition) = where_expr(filter, None) {
        sql.push(" WHERE ").expr(&condition);
    }
    let row = db.query_one_raw(sql.build()).await?;
    let n: i64 = match row {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}
