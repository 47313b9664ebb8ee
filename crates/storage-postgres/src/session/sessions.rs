//! Sessions: create (idempotent by id), read, status changes, listing by activity, the summary, and the
//! row lock and activity update every write under a session goes through.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use storage_core::StorageError;
use storage_core::session::{ListSessions, NewSession, Session, SessionStatus};
use uuid::Uuid;

use super::row::{SESSION_COLUMNS, session};
use crate::failure::OpResult;
use crate::ops::Sql;
use crate::rows::{query_all, query_one};

/// The error of a session id that does not exist in the tenant.
pub(super) fn missing(tenant: &str, id: &str) -> StorageError {
    StorageError::NotFound { what: format!("session `{id}` in tenant `{tenant}`") }
}

/// Locks a session row for a write under it; `NotFound` when the tenant has no such session.
pub(super) async fn lock<C: ConnectionTrait>(db: &C, tenant: &str, id: &str) -> OpResult<Session> {
    let mut sql = Sql::new();
    sql.push("SELECT ").push(SESSION_COLUMNS).push(" FROM bs_sessions AS s WHERE s.tenant = ").bind(tenant);
    sql.push(" AND s.id = ").bind(id).push(" FOR UPDATE");
    query_one(db, sql, session).await?.ok_or_else(|| missing(tenant, id).into())
}

/// Records a write under a locked session: activity now, and the counts added.
pub(super) async fn touch<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    id: &str,
    now: DateTime<Utc>,
    messages_added: i64,
    artifacts_added: i64,
) -> OpResult<()> {
    let mut sql = Sql::new();
    sql.push("UPDATE bs_sessions SET last_activity_at = GREATEST(last_activity_at, ").bind(now);
    sql.push("), message_count = message_count + ").bind(messages_added);
    sql.push(", artifact_count = artifact_count + ").bind(artifacts_added);
    sql.push(" WHERE tenant = ").bind(tenant).push(" AND id = ").bind(id);
    db.execute_raw(sql.build()).await?;
    Ok(())
}

/// Creates a session, or returns the existing one with the same id unchanged.
pub(super) async fn create(db: &DatabaseConnection, new: NewSession, now: DateTime<Utc>) -> OpResult<Session> {
    let id = new.id.clone().unwrap_or_else(|| Uuid::now_v7().to_string());
    let title = new.title.clone().unwrap_or_else(|| id.clone());
    let mut sql = Sql::new();
    sql.push("INSERT INTO bs_sessions AS s (tenant, id, title, participants, status, metadata, created_at, ");
    sql.push("last_activity_at) VALUES (").bind(new.tenant.as_str()).push(", ").bind(id.as_str()).push(", ");
    sql.bind(title).push(", ").bind(new.participants.clone()).push("::text[], ").bind(SessionStatus::Active.as_str());
    sql.push(", ").bind(new.metadata.to_value()).push(", ").bind(now).push(", ").bind(now);
    sql.push(") ON CONFLICT (tenant, id) DO NOTHING RETURNING ").push(SESSION_COLUMNS);
    if let Some(created) = query_one(db, sql, session).await? {
        return Ok(created);
    }
    get(db, &new.tenant, &id).await?.ok_or_else(|| {
        StorageError::backend("create_session", "the insert conflicted on the id, yet no session has it").into()
    })
}

/// One session.
pub(super) async fn get<C: ConnectionTrait>(db: &C, tenant: &str, id: &str) -> OpResult<Option<Session>> {
    let mut sql = Sql::new();
    sql.push("SELECT ").push(SESSION_COLUMNS).push(" FROM bs_sessions AS s WHERE s.tenant = ").bind(tenant);
    sql.push(" AND s.id = ").bind(id);
    query_one(db, sql, session).await
}

/// Sets a session's status: entering `completed` sets `completed_at` (kept if it was completed already),
/// any other status clears it. A status change is activity.
pub(super) async fn set_status(
    db: &DatabaseConnection,
    tenant: &str,
    id: &str,
    status: SessionStatus,
    now: DateTime<Utc>,
) -> OpResult<Session> {
    let mut sql = Sql::new();
    sql.push("UPDATE bs_sessions AS s SET status = ").bind(status.as_str()).push(", completed_at = ");
    if status == SessionStatus::Completed {
        sql.push("CASE WHEN s.status = ").bind(SessionStatus::Completed.as_str());
        sql.push(" THEN s.completed_at ELSE ").bind(now).push(" END");
    } else {
        sql.push("NULL");
    }
    sql.push(", last_activity_at = GREATEST(s.last_activity_at, ").bind(now).push(") WHERE s.tenant = ").bind(tenant);
    sql.push(" AND s.id = ").bind(id).push(" RETURNING ").push(SESSION_COLUMNS);
    query_one(db, sql, session).await?.ok_or_else(|| missing(tenant, id).into())
}

/// Sessions by status, most recent activity first, then id.
pub(super) async fn list(db: &DatabaseConnection, request: &ListSessions) -> OpResult<Vec<Session>> {
    let mut sql = Sql::new();
    sql.push("SELECT ").push(SESSION_COLUMNS).push(" FROM bs_sessions AS s WHERE s.tenant = ");
    sql.bind(request.tenant.as_str());
    if !request.statuses.is_empty() {
        let statuses: Vec<String> = request.statuses.iter().map(|s| s.as_str().to_owned()).collect();
        sql.push(" AND s.status = ANY(").bind(statuses).push("::text[])");
    }
    sql.push(" ORDER BY s.last_activity_at DESC, s.id LIMIT ").bind(i64::try_from(request.limit).unwrap_or(i64::MAX));
    sql.push(" OFFSET ").bind(i64::try_from(request.offset).unwrap_or(i64::MAX));
    query_all(db, sql, session).await
}
