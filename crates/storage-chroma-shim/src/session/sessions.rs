//! Sessions: create, read with exact counts, list by activity, status, summary, and the activity stamp.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, QueryResult, Value};
use storage_core::StorageError;
use storage_core::session::{ListSessions, NewSession, Session, SessionStatus, SessionSummary};
use uuid::Uuid;

use crate::columns::{count_value, get, get_enum, get_json, get_opt_time, get_time, get_u64, json, micros, now};
use crate::db::{Db, push_in, query_all, query_one, stmt};
use crate::task::rows::counts_by_status;

/// A session with its counts, counted at read time so they never drift.
const SELECT_SESSION: &str = "SELECT s.pk, s.tenant, s.id, s.title, s.participants, s.status, s.metadata, \
    s.created_at, s.last_activity_at, s.completed_at, \
    (SELECT count(*) FROM messages m WHERE m.session_pk = s.pk) AS message_count, \
    (SELECT count(*) FROM artifacts a WHERE a.session_pk = s.pk) AS artifact_count, \
    (SELECT count(*) FROM tasks t WHERE t.tenant = s.tenant AND t.session_id = s.id) AS task_count \
    FROM sessions s";

fn decode(row: &QueryResult) -> Result<Session, DbErr> {
    Ok(Session {
        id: get(row, "id")?,
        tenant: get(row, "tenant")?,
        title: get(row, "title")?,
        participants: get_json(row, "participants")?,
        status: get_enum(row, "status")?,
        metadata: get_json(row, "metadata")?,
        created_at: get_time(row, "created_at")?,
        last_activity_at: get_time(row, "last_activity_at")?,
        completed_at: get_opt_time(row, "completed_at")?,
        message_count: get_u64(row, "message_count")?,
        artifact_count: get_u64(row, "artifact_count")?,
        task_count: get_u64(row, "task_count")?,
    })
}

async fn find(conn: &impl ConnectionTrait, tenant: &str, id: &str) -> Result<Option<Session>, DbErr> {
    let sql = format!("{SELECT_SESSION} WHERE s.tenant = ? AND s.id = ?");
    query_one(conn, &sql, vec![tenant.into(), id.into()], decode).await
}

/// The error for a session that does not exist in the tenant (or belongs to another).
pub(crate) fn not_found(tenant: &str, id: &str) -> StorageError {
    StorageError::NotFound { what: format!("session `{id}` in tenant `{tenant}`") }
}

/// The pk of the tenant's session `id`, if it exists.
pub(super) async fn session_pk(conn: &impl ConnectionTrait, tenant: &str, id: &str) -> Result<Option<i64>, DbErr> {
    let row = conn
        .query_one_raw(stmt("SELECT pk FROM sessions WHERE tenant = ? AND id = ?", vec![tenant.into(), id.into()]))
        .await?;
    row.map(|row| row.try_get_by_index::<i64>(0)).transpose()
}

/// Sets the last activity of session `id` to `at` (never backwards) and returns its pk, or `None` when the
/// tenant has no such session. Part of every write under a session, in that write's transaction.
pub(crate) async fn touch(
    conn: &impl ConnectionTrait,
    tenant: &str,
    id: &str,
    at: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let row = conn
        .query_one_raw(stmt(
            "UPDATE sessions SET last_activity_at = max(last_activity_at, ?) WHERE tenant = ? AND id = ? RETURNING pk",
            vec![micros(at).into(), tenant.into(), id.into()],
        ))
        .await?;
    row.map(|row| row.try_get_by_index::<i64>(0)).transpose()
}

/// Creates a session, or returns the existing one with that id unchanged.
pub(super) async fn create(db: &Db, session: NewSession) -> Result<Session, StorageError> {
    session.validate()?;
    let err = db.err("create session");
    let txn = db.begin_write().await.map_err(&err)?;
    let id = session.id.unwrap_or_else(|| Uuid::now_v7().to_string());
    if let Some(existing) = find(&txn, &session.tenant, &id).await.map_err(&err)? {
        return Ok(existing);
    }
    let at = micros(now());
    txn.execute_raw(stmt(
        "INSERT INTO sessions (tenant, id, title, participants, status, metadata, created_at, last_activity_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            session.tenant.clone().into(),
            id.clone().into(),
            session.title.unwrap_or_else(|| id.clone()).into(),
            json(&session.participants).map_err(&err)?.into(),
            SessionStatus::Active.as_str().into(),
            json(&session.metadata).map_err(&err)?.into(),
            at.into(),
            at.into(),
        ],
    ))
    .await
    .map_err(&err)?;
    let created =
        find(&txn, &session.tenant, &id).await.map_err(&err)?.ok_or_else(|| not_found(&session.tenant, &id))?;
    txn.commit().await.map_err(&err)?;
    Ok(created)
}

/// One session with exact counts.
pub(super) async fn get_session(db: &Db, tenant: &str, id: &str) -> Result<Option<Session>, StorageError> {
    find(&db.conn, tenant, id).await.map_err(db.err("get session"))
}

/// Changes the status: `completed` sets `completed_at` (kept when already completed), any other clears it.
pub(super) async fn set_status(
    db: &Db,
    tenant: &str,
    id: &str,
    status: SessionStatus,
) -> Result<Session, StorageError> {
    let err = db.err("set session status");
    let txn = db.begin_write().await.map_err(&err)?;
    let at = micros(now());
    let changed = txn
        .execute_raw(stmt(
            "UPDATE sessions SET status = ?, last_activity_at = max(last_activity_at, ?),
                 completed_at = CASE WHEN ? THEN coalesce(completed_at, ?) ELSE NULL END
             WHERE tenant = ? AND id = ?",
            vec![
                status.as_str().into(),
                at.into(),
                (status == SessionStatus::Completed).into(),
                at.into(),
                tenant.into(),
                id.into(),
            ],
        ))
        .await
        .map_err(&err)?
        .rows_affected();
    if changed == 0 {
        return Err(not_found(tenant, id));
    }
    let session = find(&txn, tenant, id).await.map_err(&err)?.ok_or_else(|| not_found(tenant, id))?;
    txn.commit().await.map_err(&err)?;
    Ok(session)
}

/// Sessions of a tenant by status, most recent activity first, then id.
pub(super) async fn list(db: &Db, request: &ListSessions) -> Result<Vec<Session>, StorageError> {
    let mut sql = format!("{SELECT_SESSION} WHERE s.tenant = ?");
    let mut values: Vec<Value> = vec![request.tenant.clone().into()];
    push_in(&mut sql, &mut values, "s.status", request.statuses.iter().map(|status| status.as_str().into()).collect());
    sql.push_str(" ORDER BY s.last_activity_at DESC, s.id LIMIT ? OFFSET ?");
    values.extend([count_value(request.limit).into(), count_value(request.offset).into()]);
    query_all(&db.conn, &sql, values, decode).await.map_err(db.err("list sessions"))
}

/// The session with its duration and its task counts per status (every status present).
pub(super) async fn summary(db: &Db, tenant: &str, id: &str) -> Result<SessionSummary, StorageError> {
    let err = db.err("session summary");
    let txn = db.begin_read().await.map_err(&err)?;
    let session = find(&txn, tenant, id).await.map_err(&err)?.ok_or_else(|| not_found(tenant, id))?;
    let by_status = counts_by_status(&txn, tenant, Some(id)).await.map_err(&err)?;
    txn.commit().await.map_err(&err)?;
    Ok(SessionSummary::new(session, by_status))
}
