//! Messages: append (idempotent by client id, gap-free `seq` under the session lock, segments indexed in
//! the same transaction), list in append order, and full-text search over their segments.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult, TransactionTrait};
use storage_core::StorageError;
use storage_core::session::{AppendOutcome, ListMessages, Message, NewMessage};
use uuid::Uuid;

use super::row::{MESSAGE_COLUMNS, message};
use super::sessions::{lock, touch};
use crate::failure::OpResult;
use crate::ops::Sql;
use crate::rows::{query_all, query_one};
use crate::segments::cut;
use crate::segments::search::Segmented;

/// Full-text search over the messages of one session or the whole tenant, as [`Segmented`] below says.
pub(super) use crate::segments::search::search_segmented as search;

async fn find<C: ConnectionTrait>(db: &C, tenant: &str, session_id: &str, id: &str) -> OpResult<Option<Message>> {
    let mut sql = Sql::new();
    sql.push("SELECT ").push(MESSAGE_COLUMNS).push(" FROM bs_messages AS m WHERE m.tenant = ").bind(tenant);
    sql.push(" AND m.session_id = ").bind(session_id).push(" AND m.id = ").bind(id);
    query_one(db, sql, message).await
}

/// Appends a message, or returns the stored message with the same id.
pub(super) async fn append(
    db: &DatabaseConnection,
    language: &str,
    tenant: &str,
    session_id: &str,
    new: NewMessage,
    now: DateTime<Utc>,
) -> OpResult<AppendOutcome> {
    let txn = db.begin().await?;
    let session = lock(&txn, tenant, session_id).await?;
    if let Some(id) = &new.id
        && let Some(stored) = find(&txn, tenant, session_id, id).await?
    {
        txn.commit().await?;
        return Ok(AppendOutcome { message: stored, created: false });
    }
    let seq = i64::try_from(session.message_count).unwrap_or(i64::MAX) + 1;
    let id = new.id.clone().unwrap_or_else(|| Uuid::now_v7().to_string());
    let mut sql = Sql::new();
    sql.push(
        "INSERT INTO bs_messages AS m (tenant, session_id, seq, id, role, content, format, metadata, created_at) ",
    );
    sql.push("VALUES (").bind(tenant).push(", ").bind(session_id).push(", ").bind(seq).push(", ").bind(id.as_str());
    sql.push(", ").bind(new.role.as_str()).push(", ").bind(new.content.as_str()).push(", ").bind(new.format.as_str());
    sql.push(", ").bind(new.metadata.to_value()).push(", ").bind(now).push(") RETURNING ").push(MESSAGE_COLUMNS);
    let stored = query_one(&txn, sql, message)
        .await?
        .ok_or_else(|| StorageError::backend("append_message", "no row returned"))?;
    let segments: Vec<String> = cut(&new.content).into_iter().map(str::to_owned).collect();
    if !segments.is_empty() {
        let mut sql = Sql::new();
        sql.push("INSERT INTO bs_message_segments (tenant, session_id, seq, segment, tsv) SELECT ").bind(tenant);
        sql.push(", ").bind(session_id).push(", ").bind(seq).push(", u.idx::int4, to_tsvector(").bind(language);
        sql.push("::regconfig, u.part) FROM unnest(").bind(segments).push("::text[]) WITH ORDINALITY AS u(part, idx)");
        txn.execute_raw(sql.build()).await?;
    }
    touch(&txn, tenant, session_id, now, 1, 0).await?;
    txn.commit().await?;
    Ok(AppendOutcome { message: stored, created: true })
}

/// Messages after `after_seq`, in append order (a checked request).
pub(super) async fn list(db: &DatabaseConnection, request: &ListMessages) -> OpResult<Vec<Message>> {
    let ListMessages { tenant, session_id, after_seq, limit } = request;
    let mut sql = Sql::new();
    sql.push("SELECT ").push(MESSAGE_COLUMNS).push(" FROM bs_messages AS m WHERE m.tenant = ").bind(tenant.as_str());
    sql.push(" AND m.session_id = ").bind(session_id.as_str());
    if let Some(after) = *after_seq {
        sql.push(" AND m.seq > ").bind(after);
    }
    sql.push(" ORDER BY m.seq LIMIT ").bind(i64::try_from(*limit).unwrap_or(i64::MAX));
    query_all(db, sql, message).await
}

/// Messages are found through `bs_message_segments` and fetched back by session and `seq`.
impl Segmented for Message {
    type Key = i64;
    const SEGMENTS: &'static str = "bs_message_segments";
    const SEGMENT_KEYS: &'static str = "session_id, seq";
    const SEGMENT_KEY: &'static str = "seq";
    const COLUMNS: &'static str = MESSAGE_COLUMNS;
    const FROM: &'static str = " FROM bs_messages AS m JOIN unnest(";
    const JOIN: &'static str =
        "::int8[]) AS k(session_id, seq) ON m.session_id = k.session_id AND m.seq = k.seq WHERE m.tenant = ";
    const WHAT: &'static str = "a message hit";

    fn decode(row: &QueryResult) -> Result<Self, StorageError> {
        message(row)
    }

    fn key(&self) -> (&str, &Self::Key) {
        (&self.session_id, &self.seq)
    }
}
