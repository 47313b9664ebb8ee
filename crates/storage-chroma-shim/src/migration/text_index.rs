//! The FTS5 indexes of memories, messages and artifacts, rebuilt when the keyword language changes.

use sea_orm::{ConnectionTrait, DbErr};
use storage_core::TextLanguage;

use super::template::expand;
use crate::db::stmt;

/// One contentless FTS5 table over a base table's text columns (rowid = the base table's pk).
pub(crate) struct TextIndex {
    /// The FTS5 table.
    pub(crate) table: &'static str,
    /// `CREATE VIRTUAL TABLE ...` with a `{tokenizer}` placeholder.
    pub(crate) create: &'static str,
    /// `DROP TABLE ...`.
    pub(crate) drop: &'static str,
    /// Fills the index from its base table.
    pub(crate) fill: &'static str,
}

/// Rebuilds every text index that exists with the tokenizer of `language`.
pub(crate) async fn rebuild_text_indexes(conn: &impl ConnectionTrait, language: TextLanguage) -> Result<(), DbErr> {
    for index in super::TEXT_INDEXES {
        let exists = conn
            .query_one_raw(stmt(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
                vec![index.table.into()],
            ))
            .await?
            .map(|row| row.try_get_by_index::<i64>(0))
            .transpose()?
            .unwrap_or(0);
        if exists == 0 {
            continue;
        }
        conn.execute_raw(stmt(index.drop, vec![])).await?;
        conn.execute_raw(stmt(&expand(index.create, language), vec![])).await?;
        conn.execute_raw(stmt(index.fill, vec![])).await?;
    }
    Ok(())
}
