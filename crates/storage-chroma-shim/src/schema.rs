//! Per-collection DDL: each collection's FTS5 keyword index, and the store's keyword language.
//!
//! A keyword index is named `fts_<collection id>`: the only identifier built at run time, from an integer
//! this store assigned, never from user text.

use sea_orm::{ConnectionTrait, DbErr};
use storage_core::TextLanguage;

use crate::db::stmt;
use crate::keyword_sql::tokenizer;

/// The keyword index table of a collection.
pub(crate) fn keyword_table(collection_id: i64) -> String {
    format!("fts_{collection_id}")
}

/// Creates a collection's (empty) keyword index. Contentless: the text lives in `chunks` only, and
/// `contentless_delete` lets upserts and deletes remove rows by rowid.
pub(crate) async fn create_keyword_index(
    conn: &impl ConnectionTrait,
    collection_id: i64,
    language: TextLanguage,
) -> Result<(), DbErr> {
    let sql = format!(
        "CREATE VIRTUAL TABLE IF NOT EXISTS {} USING fts5(text, content='', contentless_delete=1, tokenize='{}')",
        keyword_table(collection_id),
        tokenizer(language)
    );
    conn.execute_raw(stmt(&sql, vec![])).await.map(drop)
}

/// Drops a collection's keyword index.
pub(crate) async fn drop_keyword_index(conn: &impl ConnectionTrait, collection_id: i64) -> Result<(), DbErr> {
    conn.execute_raw(stmt(&format!("DROP TABLE IF EXISTS {}", keyword_table(collection_id)), vec![])).await.map(drop)
}

/// Fills a collection's keyword index from its chunks.
async fn fill_keyword_index(conn: &impl ConnectionTrait, collection_id: i64) -> Result<(), DbErr> {
    let sql = format!(
        "INSERT INTO {} (rowid, text) SELECT pk, text FROM chunks WHERE collection_id = ?",
        keyword_table(collection_id)
    );
    conn.execute_raw(stmt(&sql, vec![collection_id.into()])).await.map(drop)
}

async fn collection_ids(conn: &impl ConnectionTrait) -> Result<Vec<i64>, DbErr> {
    let rows = conn.query_all_raw(stmt("SELECT id FROM collections ORDER BY id", vec![])).await?;
    rows.iter().map(|row| row.try_get_by_index::<i64>(0)).collect()
}

/// Creates and fills the keyword index of every collection (after the chunks table is created).
pub(crate) async fn create_all_keyword_indexes(
    conn: &impl ConnectionTrait,
    language: TextLanguage,
) -> Result<(), DbErr> {
    for id in collection_ids(conn).await? {
        create_keyword_index(conn, id, language).await?;
        fill_keyword_index(conn, id).await?;
    }
    set_language(conn, language).await
}

/// Drops every collection's keyword index (before the chunks table is dropped).
pub(crate) async fn drop_all_keyword_indexes(conn: &impl ConnectionTrait) -> Result<(), DbErr> {
    for id in collection_ids(conn).await? {
        drop_keyword_index(conn, id).await?;
    }
    Ok(())
}

/// The language the keyword indexes were built with, if recorded.
pub(crate) async fn stored_language(conn: &impl ConnectionTrait) -> Result<Option<TextLanguage>, DbErr> {
    let row = conn.query_one_raw(stmt("SELECT value FROM store_settings WHERE key = 'language'", vec![])).await?;
    let Some(row) = row else { return Ok(None) };
    let value: String = row.try_get_by_index(0)?;
    Ok(value.parse().ok())
}

async fn set_language(conn: &impl ConnectionTrait, language: TextLanguage) -> Result<(), DbErr> {
    conn.execute_raw(stmt(
        "INSERT INTO store_settings (key, value) VALUES ('language', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        vec![language.as_str().into()],
    ))
    .await
    .map(drop)
}

/// Rebuilds every keyword index (memories', messages' and artifacts' too) when the configured language
/// differs from the one they were built with. Returns whether it rebuilt.
pub(crate) async fn ensure_language(conn: &impl ConnectionTrait, language: TextLanguage) -> Result<bool, DbErr> {
    if stored_language(conn).await? == Some(language) {
        return Ok(false);
    }
    drop_all_keyword_indexes(conn).await?;
    create_all_keyword_indexes(conn, language).await?;
    crate::migration::rebuild_text_indexes(conn, language).await?;
    Ok(true)
}
