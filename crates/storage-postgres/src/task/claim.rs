//! Enqueue (idempotent per dedup key, counted as session activity) and claim: one statement that
//! dead-letters expired tasks out of attempts and takes the best eligible task with `FOR UPDATE SKIP LOCKED`.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use storage_core::StorageError;
use storage_core::task::{ClaimRequest, EXPIRED_LEASE_ERROR, EnqueueOutcome, NewTask, Task, TaskStatus};
use uuid::Uuid;

use super::read;
use super::row::{COLUMNS, decode, status_literal};
use crate::failure::OpResult;
use crate::ops::Sql;

/// The error of a task naming a session that does not exist in its tenant.
fn missing_session(tenant: &str, session_id: &str) -> StorageError {
    StorageError::NotFound { what: format!("session `{session_id}` in tenant `{tenant}`") }
}

/// Inserts a task, or returns the task with the same dedup key. The key is looked up before the session,
/// so a repeated enqueue answers the existing task even when its session is gone (idempotence). A task of
/// a session counts as the session's activity (and task count) in the same transaction.
pub(super) async fn enqueue(db: &DatabaseConnection, task: NewTask, now: DateTime<Utc>) -> OpResult<EnqueueOutcome> {
    let txn = db.begin().await?;
    if let Some(key) = &task.dedup_key
        && let Some(existing) = read::find(&txn, &task.tenant, "t.dedup_key", key).await?
    {
        txn.commit().await?;
        return Ok(EnqueueOutcome { task: existing, created: false });
    }
    if let Some(session_id) = &task.session_id {
        let mut sql = Sql::new();
        sql.push("SELECT 1 AS present FROM bs_sessions WHERE tenant = ").bind(task.tenant.as_str());
        sql.push(" AND id = ").bind(session_id.as_str()).push(" FOR KEY SHARE");
        if txn.query_one_raw(sql.build()).await?.is_none() {
            return Err(missing_session(&task.tenant, session_id).into());
        }
    }
    let mut sql = Sql::new();
    sql.push(
        "WITH added AS (INSERT INTO bs_tasks AS t (id, tenant, session_id, kind, payload, priority, target_agent, \
         dedup_key, status, attempts, max_attempts, retry_backoff_ms, not_before, created_at, updated_at) VALUES (",
    );
    sql.bind(Uuid::now_v7()).push(", ").bind(task.tenant.as_str()).push(", ").bind(task.session_id.clone());
    sql.push(", ").bind(task.kind.as_str()).push(", ").bind(task.payload.clone()).push(", ").bind(task.priority);
    sql.push(", ").bind(task.target_agent.clone()).push(", ").bind(task.dedup_key.clone()).push(", ");
    sql.push_trusted(&status_literal(TaskStatus::Pending)).push(", 0, ");
    sql.bind(i32::try_from(task.max_attempts).unwrap_or(i32::MAX)).push(", ");
    sql.bind(i64::try_from(task.retry_backoff_ms).unwrap_or(i64::MAX)).push(", ");
    sql.bind(task.not_before.map_or(now, crate::clock::round_up_to_micros)).push(", ").bind(now).push(", ");
    sql.bind(now).push(") ON CONFLICT (tenant, dedup_key) DO NOTHING RETURNING ").push(COLUMNS);
    sql.push("), touched AS (UPDATE bs_sessions AS s SET last_activity_at = GREATEST(s.last_activity_at, ");
    sql.bind(now).push("), task_count = s.task_count + 1 FROM added WHERE s.tenant = added.tenant ");
    sql.push("AND s.id = added.session_id) SELECT * FROM added");
    let outcome = match txn.query_one_raw(sql.build()).await? {
        Some(row) => EnqueueOutcome { task: decode(&row)?, created: true },
        // Another enqueue with the same key committed after the lookup above.
        None => {
            let existing = read::find(&txn, &task.tenant, "t.dedup_key", task.dedup_key.as_deref().unwrap_or_default())
                .await?
                .ok_or_else(|| {
                    StorageError::backend("enqueue", "the insert conflicted on the dedup key, yet no task has that key")
                })?;
            EnqueueOutcome { task: existing, created: false }
        }
    };
    txn.commit().await?;
    Ok(outcome)
}

/// Claims the best eligible task. Expired running tasks that used their last attempt are dead-lettered in
/// the same statement. Every row is locked with `SKIP LOCKED`, so claimers never wait for each other and
/// never take the same task.
pub(super) async fn claim(
    db: &DatabaseConnection,
    request: &ClaimRequest,
    now: DateTime<Utc>,
) -> OpResult<Option<Task>> {
    let (pending, running, dead) = (
        status_literal(TaskStatus::Pending),
        status_literal(TaskStatus::Running),
        status_literal(TaskStatus::DeadLetter),
    );
    let lease_ms = i64::try_from(request.lease_ms).unwrap_or(i64::MAX);
    let expires = now + Duration::milliseconds(lease_ms);
    let mut sql = Sql::new();
    sql.push("WITH expired AS (UPDATE bs_tasks AS d SET status = ").push_trusted(&dead);
    sql.push(", finished_at = ").bind(now).push(", updated_at = ").bind(now);
    sql.push(", lease_id = NULL, lease_expires_at = NULL, last_error = COALESCE(d.last_error, ");
    sql.bind(EXPIRED_LEASE_ERROR).push(") WHERE d.id IN (SELECT id FROM bs_tasks WHERE tenant = ");
    sql.bind(request.tenant.as_str()).push(" AND status = ").push_trusted(&running);
    sql.push(" AND lease_expires_at <= ")
        .bind(now)
        .push(" AND attempts >= max_attempts FOR UPDATE SKIP LOCKED) RETURNING d.id)");
    sql.push(", candidate AS (SELECT id FROM bs_tasks WHERE tenant = ").bind(request.tenant.as_str());
    sql.push(" AND status IN (").push_trusted(&pending).push(", ").push_trusted(&running).push(") AND ((status = ");
    sql.push_trusted(&pending).push(" AND not_before <= ").bind(now).push(") OR (status = ").push_trusted(&running);
    sql.push(" AND lease_expires_at <= ").bind(now).push(" AND attempts < max_attempts))");
    sql.push(" AND (target_agent IS NULL OR target_agent = ").bind(request.agent.as_str()).push(")");
    if !request.kinds.is_empty() {
        sql.push(" AND kind = ANY(").bind(request.kinds.clone()).push("::text[])");
    }
    sql.push(" ORDER BY priority DESC, created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)");
    sql.push(" UPDATE bs_tasks AS t SET status = ")
        .push_trusted(&running)
        .push(", attempts = t.attempts + 1, claimed_by = ");
    sql.bind(request.agent.as_str()).push(", lease_id = ").bind(Uuid::new_v4()).push(", lease_expires_at = ");
    sql.bind(expires).push(", updated_at = ").bind(now);
    sql.push(" FROM candidate WHERE t.id = candidate.id RETURNING ").push(COLUMNS);
    match db.query_one_raw(sql.build()).await? {
        Some(row) => Ok(Some(decode(&row)?)),
        None => Ok(None),
    }
}
