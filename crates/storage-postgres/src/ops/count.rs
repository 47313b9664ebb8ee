//! `count`: chunks of a collection, optionally filtered; `stats`: what `CollectionInfo` reports.

use sea_orm::{DatabaseConnection, DbErr};
use storage_core::Filter;

use super::Sql;
use crate::filter_sql::where_expr;
use crate::schema::ChunkTable;

/// How many chunks match `filter`.
pub(crate) async fn count(db: &DatabaseConnection, table: &ChunkTable, filter: Option<&Filter>) -> Result<u64, DbErr> {
    use sea_orm::ConnectionTrait;
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

/// What one collection holds: its chunks, how many carry an embedding, and whether its HNSW index exists
/// (a bulk load sets it aside; one that was interrupted leaves it missing). One scan, one round trip.
pub(crate) struct Stats {
    pub(crate) count: u64,
    pub(crate) embedded: u64,
    pub(crate) indexed: bool,
}

/// The [`Stats`] of `table`.
pub(crate) async fn stats(db: &DatabaseConnection, table: &ChunkTable) -> Result<Stats, DbErr> {
    use sea_orm::ConnectionTrait;
    let mut sql = Sql::new();
    sql.push("SELECT count(*) AS n, count(embedding) AS embedded, to_regclass(").bind(table.vector_index_qualified());
    sql.push(") IS NOT NULL AS indexed FROM ").table(table);
    let Some(row) = db.query_one_raw(sql.build()).await? else {
        return Ok(Stats { count: 0, embedded: 0, indexed: false });
    };
    let count: i64 = row.try_get("", "n")?;
    let embedded: i64 = row.try_get("", "embedded")?;
    Ok(Stats {
        count: u64::try_from(count).unwrap_or(0),
        embedded: u64::try_from(embedded).unwrap_or(0),
        indexed: row.try_get("", "indexed")?,
    })
}
