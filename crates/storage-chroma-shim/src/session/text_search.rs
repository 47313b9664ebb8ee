//! Full-text search over one of a session's text indexes (messages, artifacts), in one session or a tenant.

use sea_orm::{ConnectionTrait, Value};
use storage_core::fusion::normalize_by_max;
use storage_core::session::{TextHit, TextSearch};
use storage_core::{StorageError, TextLanguage};

use crate::columns::{count_value, get};
use crate::db::{Db, Decode, stmt};
use crate::fts5_query::match_expression;

/// A table of rows under sessions with its FTS5 index (rowid = the table's pk). Static names only.
pub(super) struct Searched<T> {
    /// The FTS5 table.
    pub(super) index: &'static str,
    /// The table, joined as `alias`, with a `session_pk` column.
    pub(super) table: &'static str,
    pub(super) alias: &'static str,
    /// What `decode` reads, on `alias` and `s` (the session).
    pub(super) columns: &'static str,
    /// The row's key within its session, on `alias`: equal scores list by session id, then by this.
    pub(super) key_in_session: &'static str,
    pub(super) decode: Decode<T>,
    /// For error messages.
    pub(super) operation: &'static str,
}

/// The rows matching a checked request's query (the document keyword syntax), best first, the best scoring
/// 1; ties by session id, then by the key in the session, as PostgreSQL breaks them.
pub(super) async fn search<T>(
    db: &Db,
    searched: &Searched<T>,
    request: &TextSearch,
    language: TextLanguage,
) -> Result<Vec<TextHit<T>>, StorageError> {
    let Some(expression) = match_expression(&request.keyword_query(language)?) else { return Ok(Vec::new()) };
    let TextSearch { tenant, session_id, limit, .. } = request;
    let Searched { index, table, alias, columns, key_in_session, decode, operation } = searched;
    // FTS5's bm25() is lower-is-better; its negation is the relevance.
    let mut sql = format!(
        "SELECT {columns}, -bm25({index}) AS relevance FROM {index} \
         JOIN {table} {alias} ON {alias}.pk = {index}.rowid JOIN sessions s ON s.pk = {alias}.session_pk \
         WHERE {index} MATCH ? AND s.tenant = ?"
    );
    let mut values: Vec<Value> = vec![expression.into(), tenant.as_str().into()];
    if let Some(session_id) = session_id {
        sql.push_str(" AND s.id = ?");
        values.push(session_id.as_str().into());
    }
    sql.push_str(&format!(" ORDER BY relevance DESC, s.id, {alias}.{key_in_session} LIMIT ?"));
    values.push(count_value(*limit).into());
    let err = db.err(operation);
    let rows = db.conn.query_all_raw(stmt(&sql, values)).await.map_err(&err)?;
    let mut found = Vec::with_capacity(rows.len());
    for row in &rows {
        found.push((decode(row).map_err(&err)?, get::<f64>(row, "relevance").map_err(&err)?));
    }
    let scores = normalize_by_max(&found.iter().map(|(_, relevance)| *relevance).collect::<Vec<_>>());
    Ok(found.into_iter().zip(scores).map(|((item, _), score)| TextHit { item, score }).collect())
}
