//! `delete_ids`, `delete_where` and `delete_all`.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use storage_core::Filter;

use super::Sql;
use crate::filter_sql::where_expr;
use crate::schema::ChunkTable;

/// Deletes chunks by id (repeats count once); returns how many existed.
pub(crate) async fn delete_ids(db: &DatabaseConnection, table: &ChunkTable, ids: &[String]) -> Result<u64, DbErr> {
    let mut sql = Sql::new();
    sql.push("DELETE FROM ").table(table).push(" WHERE id = ANY(").bind(ids.to_vec()).push(")");
    Ok(db.execute_raw(sql.build()).await?.rows_affected())
}

/// Deletes the chunks matching a non-empty filter; returns how many.
pub(crate) async fn delete_where(db: &DatabaseConnection, table: &ChunkTable, filter: &Filter) -> Result<u64, DbErr> {
    let mut sql = Sql::new();
    sql.push("DELETE FROM ").table(table);
    match where_expr(Some(filter), None) {
        Some(condition) => sql.push(" WHERE ").expr(&condition),
        // The store refuses the empty filter before calling; never delete everything by accident.
        None => sql.push(" WHERE false"),
    };
    Ok(db.execute_raw(sql.build()).await?.rows_affected())
}

/// Deletes every chunk; returns how many. `DELETE`, not `TRUNCATE`: it takes only row locks, so searches
/// and writes elsewhere go on, and it rolls back like any other write.
pub(crate) async fn delete_all(db: &DatabaseConnection, table: &ChunkTable) -> Result<u64, DbErr> {
    let mut sql = Sql::new();
    sql.push("DELETE FROM ").table(table);
    Ok(db.execute_raw(sql.build()).await?.rows_affected())
}
