//! Per-collection DDL: each collection's FTS5 keyword index, and the store's keyword language.
//!
//! A keyword index is named `fts_<collection id>`: the only identifier built at run time, from an integer
//! this store assigned, never from user text.

use sea_orm::{ConnectionTrait, DbErr};
use storage_core::TextLanguage;

use crate::db::stmt;
use crate::fts5_query::{CHUNK_TOKENIZER, indexed_terms};

/// What chunk keyword indexes hold, recorded in `store_settings` under `keyword_terms`: an index built
/// with other terms (FTS5's `porter` over raw text, before core's analyzer) is rebuilt on open.
const KEYWORD_TERMS: &str = "core-analyzer-1";

/// Chunks read per step while filling a keyword index.
const FILL_BATCH: i64 = 500;

/// The keyword index table of a collection.
pub(crate) fn keyword_table(collection_id: i64) -> String {
    format!("fts_{collection_id}")
}

/// Creates a collection's (empty) keyword index. Contentless: the text lives in `chunks` only. Rows are
/// core's terms (`fts5_query::indexed_terms`), whatever the language.
///
/// Not `contentless_delete`: FTS5 does not take a row deleted that way out of its row count and total
/// length, so BM25's `N` and mean length would drift with every update. Rows leave through FTS5's
/// `'delete'` command with their terms ([`unindex_chunks`]), which keeps both exact.
pub(crate) async fn create_keyword_index(conn: &impl ConnectionTrait, collection_id: i64) -> Result<(), DbErr> {
    let sql = format!(
        "CREATE VIRTUAL TABLE IF NOT EXISTS {} USING fts5(text, content='', tokenize='{CHUNK_TOKENIZER}')",
        keyword_table(collection_id),
    );
    conn.execute_raw(stmt(&sql, vec![])).await.map(drop)
}

/// Takes chunks out of their collection's keyword index, before their text changes or they are deleted:
/// FTS5's `'delete'` command with the terms they were indexed with, recomputed from the stored text.
pub(crate) async fn unindex_chunks(
    conn: &impl ConnectionTrait,
    collection_id: i64,
    pks: &[i64],
    language: TextLanguage,
) -> Result<(), DbErr> {
    let fts = keyword_table(collection_id);
    for part in pks.chunks(FILL_BATCH as usize) {
        let values: Vec<sea_orm::Value> = part.iter().map(|pk| (*pk).into()).collect();
        let list = crate::db::placeholders(part.len());
        let rows =
            conn.query_all_raw(stmt(&format!("SELECT pk, text FROM chunks WHERE pk IN ({list})"), values)).await?;
        if rows.is_empty() {
            continue;
        }
        let mut values: Vec<sea_orm::Value> = Vec::with_capacity(rows.len() * 2);
        for row in &rows {
            let (pk, text): (i64, String) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
            values.extend([pk.into(), indexed_terms(&text, language).into()]);
        }
        let commands = vec!["('delete', ?, ?)"; rows.len()].join(", ");
        conn.execute_raw(stmt(&format!("INSERT INTO {fts} ({fts}, rowid, text) VALUES {commands}"), values)).await?;
    }
    Ok(())
}

/// Drops a collection's keyword index.
pub(crate) async fn drop_keyword_index(conn: &impl ConnectionTrait, collection_id: i64) -> Result<(), DbErr> {
    conn.execute_raw(stmt(&format!("DROP TABLE IF EXISTS {}", keyword_table(collection_id)), vec![])).await.map(drop)
}

/// Fills a collection's keyword index from its chunks, in steps of [`FILL_BATCH`] chunks.
async fn fill_keyword_index(
    conn: &impl ConnectionTrait,
    collection_id: i64,
    language: TextLanguage,
) -> Result<(), DbErr> {
    let insert = format!("INSERT INTO {} (rowid, text) VALUES (?, ?)", keyword_table(collection_id));
    let mut after = i64::MIN;
    loop {
        let rows = conn
            .query_all_raw(stmt(
                "SELECT pk, text FROM chunks WHERE collection_id = ? AND pk > ? ORDER BY pk LIMIT ?",
                vec![collection_id.into(), after.into(), FILL_BATCH.into()],
            ))
            .await?;
        for row in &rows {
            let (pk, text): (i64, String) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
            conn.execute_raw(stmt(&insert, vec![pk.into(), indexed_terms(&text, language).into()])).await?;
            after = pk;
        }
        if i64::try_from(rows.len()).unwrap_or(i64::MAX) < FILL_BATCH {
            return Ok(());
        }
    }
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
        create_keyword_index(conn, id).await?;
        fill_keyword_index(conn, id, language).await?;
    }
    set_setting(conn, "keyword_terms", KEYWORD_TERMS).await?;
    set_setting(conn, "language", language.as_str()).await
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
    Ok(setting(conn, "language").await?.and_then(|value| value.parse().ok()))
}

async fn setting(conn: &impl ConnectionTrait, key: &str) -> Result<Option<String>, DbErr> {
    let row = conn.query_one_raw(stmt("SELECT value FROM store_settings WHERE key = ?", vec![key.into()])).await?;
    row.map(|row| row.try_get_by_index(0)).transpose()
}

async fn set_setting(conn: &impl ConnectionTrait, key: &str, value: &str) -> Result<(), DbErr> {
    conn.execute_raw(stmt(
        "INSERT INTO store_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        vec![key.into(), value.into()],
    ))
    .await
    .map(drop)
}

/// Rebuilds every keyword index (memories', messages' and artifacts' too) when the configured language
/// differs from the one they were built with, and the chunk keyword indexes alone when they hold other
/// terms than [`KEYWORD_TERMS`]. Returns whether it rebuilt.
pub(crate) async fn ensure_language(conn: &impl ConnectionTrait, language: TextLanguage) -> Result<bool, DbErr> {
    let same_language = stored_language(conn).await? == Some(language);
    if same_language && setting(conn, "keyword_terms").await?.as_deref() == Some(KEYWORD_TERMS) {
        return Ok(false);
    }
    drop_all_keyword_indexes(conn).await?;
    create_all_keyword_indexes(conn, language).await?;
    if !same_language {
        crate::migration::rebuild_text_indexes(conn, language).await?;
    }
    Ok(true)
}
