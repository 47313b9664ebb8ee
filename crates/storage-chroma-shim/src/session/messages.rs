//! Messages: idempotent append (with keyword entry and session activity), pages in order, full-text search.

use sea_orm::{ConnectionTrait, DbErr, QueryResult, Value};
use storage_core::StorageError;
use storage_core::session::{AppendOutcome, ListMessages, Message, NewMessage};
use uuid::Uuid;

use super::sessions::{not_found, session_pk, touch};
use super::text_search::Searched;
use crate::columns::{count_value, get, get_enum, get_json, get_time, json, micros, now};
use crate::db::{Db, query_all, query_one, stmt};

/// A message with its session's id, on aliases `m` (messages) and `s` (sessions).
const COLUMNS: &str = "m.seq, s.id AS session_id, m.id, m.role, m.content, m.format, m.metadata, m.created_at";

fn decode(row: &QueryResult) -> Result<Message, DbErr> {
    Ok(Message {
        session_id: get(row, "session_id")?,
        id: get(row, "id")?,
        seq: get(row, "seq")?,
        role: get_enum(row, "role")?,
        content: get(row, "content")?,
        format: get(row, "format")?,
        metadata: get_json(row, "metadata")?,
        created_at: get_time(row, "created_at")?,
    })
}

async fn find(conn: &impl ConnectionTrait, session_pk: i64, id: &str) -> Result<Option<Message>, DbErr> {
    let sql = format!(
        "SELECT {COLUMNS} FROM messages m JOIN sessions s ON s.pk = m.session_pk WHERE m.session_pk = ? AND m.id = ?"
    );
    query_one(conn, &sql, vec![session_pk.into(), id.into()], decode).await
}

/// Appends a message; a message id already in the session returns the stored message and adds nothing.
pub(super) async fn append(
    db: &Db,
    tenant: &str,
    session_id: &str,
    message: NewMessage,
) -> Result<AppendOutcome, StorageError> {
    message.validate()?;
    let err = db.err("append message");
    let txn = db.begin_write().await.map_err(&err)?;
    let id = message.id.clone().unwrap_or_else(|| Uuid::now_v7().to_string());
    let session_pk =
        session_pk(&txn, tenant, session_id).await.map_err(&err)?.ok_or_else(|| not_found(tenant, session_id))?;
    if let Some(stored) = find(&txn, session_pk, &id).await.map_err(&err)? {
        return Ok(AppendOutcome { message: stored, created: false });
    }
    let at = now();
    // The write transaction holds SQLite's write lock, so no other append can take the same `seq`.
    let row = txn
        .query_one_raw(stmt(
            "INSERT INTO messages (session_pk, seq, id, role, content, format, metadata, created_at)
             VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM messages WHERE session_pk = ?), ?, ?, ?, ?, ?, ?)
             RETURNING pk, seq",
            vec![
                session_pk.into(),
                session_pk.into(),
                id.clone().into(),
                message.role.as_str().into(),
                message.content.clone().into(),
                message.format.clone().into(),
                json(&message.metadata).map_err(&err)?.into(),
                micros(at).into(),
            ],
        ))
        .await
        .map_err(&err)?
        .ok_or_else(|| err(DbErr::RecordNotInserted))?;
    let pk: i64 = row.try_get_by_index(0).map_err(&err)?;
    let seq: i64 = row.try_get_by_index(1).map_err(&err)?;
    // From the stored row: a transcript of many megabytes is not sent to SQLite twice.
    txn.execute_raw(stmt(
        "INSERT INTO message_fts (rowid, content) SELECT pk, content FROM messages WHERE pk = ?",
        vec![pk.into()],
    ))
    .await
    .map_err(&err)?;
    touch(&txn, tenant, session_id, at).await.map_err(&err)?;
    txn.commit().await.map_err(&err)?;
    let NewMessage { role, content, format, metadata, .. } = message;
    let message =
        Message { session_id: session_id.to_owned(), id, seq, role, content, format, metadata, created_at: at };
    Ok(AppendOutcome { message, created: true })
}

/// Messages of a session in append order after `after_seq`, at most `limit` (a checked request).
pub(super) async fn list(db: &Db, request: &ListMessages) -> Result<Vec<Message>, StorageError> {
    let ListMessages { tenant, session_id, after_seq, limit } = request;
    let sql = format!(
        "SELECT {COLUMNS} FROM messages m JOIN sessions s ON s.pk = m.session_pk \
         WHERE s.tenant = ? AND s.id = ? AND m.seq > ? ORDER BY m.seq LIMIT ?"
    );
    let values: Vec<Value> = vec![
        tenant.as_str().into(),
        session_id.as_str().into(),
        after_seq.unwrap_or(0).into(),
        count_value(*limit).into(),
    ];
    query_all(&db.conn, &sql, values, decode).await.map_err(db.err("list messages"))
}

/// Messages for `text_search::search`: their content through `message_fts`.
pub(super) const SEARCHED: Searched<Message> = Searched {
    index: "message_fts",
    table: "messages",
    alias: "m",
    columns: COLUMNS,
    key_in_session: "seq",
    decode,
    operation: "search messages",
};
