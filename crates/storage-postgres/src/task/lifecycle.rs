//! A claimed task's life: heartbeat, complete, fail (retry with backoff, then dead letter) and cancel.
//! Each needs the current lease (`lease_id`) except cancel; a finished task or a lost lease is a
//! `Conflict` (core's `check_task_change` says why), a missing task (or another tenant's) is `NotFound`.
//! Finishing a task of a session counts as the session's activity, in the same statement.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::Value;
use storage_core::StorageError;
use storage_core::task::{Task, TaskChange, TaskStatus, retry_delay_ms};
use uuid::Uuid;

use super::read::why_not_changed;
use super::row::{COLUMNS, decode, status_literal};
use crate::failure::OpResult;
use crate::ops::Sql;
use crate::rows::query_one;

/// `), touched AS (UPDATE bs_sessions … FROM changed …) SELECT * FROM changed`: closes a `WITH changed AS
/// (UPDATE bs_tasks …` statement, setting the activity of the changed task's session.
fn push_touch_session(sql: &mut Sql, now: DateTime<Utc>) {
    sql.push("), touched AS (UPDATE bs_sessions AS s SET last_activity_at = GREATEST(s.last_activity_at, ");
    sql.bind(now).push(") FROM changed WHERE s.tenant = changed.tenant AND s.id = changed.session_id) ");
    sql.push("SELECT * FROM changed");
}

/// `WHERE` of a leased task: this tenant, this id, running, this lease.
fn push_leased(sql: &mut Sql, tenant: &str, id: Uuid, lease_id: Uuid) {
    sql.push(" WHERE t.tenant = ").bind(tenant).push(" AND t.id = ").bind(id).push(" AND t.status = ");
    sql.push_trusted(&status_literal(TaskStatus::Running)).push(" AND t.lease_id = ").bind(lease_id);
}

/// Runs `sql`, `change` to task `id` returning its columns; when it matches no row, the error says why.
async fn changed(db: &DatabaseConnection, sql: Sql, tenant: &str, id: Uuid, change: TaskChange) -> OpResult<Task> {
    match query_one(db, sql, decode).await? {
        Some(task) => Ok(task),
        None => Err(why_not_changed(db, tenant, id, change).await?.into()),
    }
}

/// Extends a lease to `lease_ms` from `now`.
pub(super) async fn heartbeat(
    db: &DatabaseConnection,
    tenant: &str,
    id: Uuid,
    lease_id: Uuid,
    lease_ms: u64,
    now: DateTime<Utc>,
) -> OpResult<Task> {
    let expires = now + Duration::milliseconds(i64::try_from(lease_ms).unwrap_or(i64::MAX));
    let mut sql = Sql::new();
    sql.push("UPDATE bs_tasks AS t SET lease_expires_at = ").bind(expires).push(", updated_at = ").bind(now);
    push_leased(&mut sql, tenant, id, lease_id);
    sql.push(" RETURNING ").push(COLUMNS);
    changed(db, sql, tenant, id, TaskChange::Heartbeat(lease_id)).await
}

/// Completes a running task with its result.
pub(super) async fn complete(
    db: &DatabaseConnection,
    tenant: &str,
    id: Uuid,
    lease_id: Uuid,
    result: Value,
    now: DateTime<Utc>,
) -> OpResult<Task> {
    let mut sql = Sql::new();
    sql.push("WITH changed AS (UPDATE bs_tasks AS t SET status = ")
        .push_trusted(&status_literal(TaskStatus::Completed));
    sql.push(", result = ").bind(result).push(", finished_at = ").bind(now).push(", updated_at = ").bind(now);
    sql.push(", lease_id = NULL, lease_expires_at = NULL");
    push_leased(&mut sql, tenant, id, lease_id);
    sql.push(" RETURNING ").push(COLUMNS);
    push_touch_session(&mut sql, now);
    changed(db, sql, tenant, id, TaskChange::Complete(lease_id)).await
}

/// Records a failed attempt: pending again after core's [`retry_delay_ms`], or dead-lettered when the
/// attempts are used up.
pub(super) async fn fail(
    db: &DatabaseConnection,
    tenant: &str,
    id: Uuid,
    lease_id: Uuid,
    error: &str,
    now: DateTime<Utc>,
) -> OpResult<Task> {
    let txn = db.begin().await?;
    let mut sql = Sql::new();
    sql.push("SELECT ").push(COLUMNS).push(" FROM bs_tasks AS t");
    push_leased(&mut sql, tenant, id, lease_id);
    sql.push(" FOR UPDATE");
    let Some(task) = query_one(&txn, sql, decode).await? else {
        drop(txn);
        return Err(why_not_changed(db, tenant, id, TaskChange::Fail(lease_id)).await?.into());
    };
    let mut sql = Sql::new();
    sql.push("WITH changed AS (UPDATE bs_tasks AS t SET last_error = ").bind(error).push(", updated_at = ").bind(now);
    sql.push(", lease_id = NULL, lease_expires_at = NULL, status = ");
    if task.attempts >= task.max_attempts {
        sql.push_trusted(&status_literal(TaskStatus::DeadLetter)).push(", finished_at = ").bind(now);
    } else {
        let delay = retry_delay_ms(task.retry_backoff_ms, task.attempts);
        let not_before = now + Duration::milliseconds(i64::try_from(delay).unwrap_or(i64::MAX));
        sql.push_trusted(&status_literal(TaskStatus::Pending)).push(", not_before = ").bind(not_before);
    }
    sql.push(" WHERE t.id = ").bind(id).push(" RETURNING ").push(COLUMNS);
    push_touch_session(&mut sql, now);
    let row = txn
        .query_one_raw(sql.build())
        .await?
        .ok_or_else(|| StorageError::backend("fail", "the locked task disappeared"))?;
    txn.commit().await?;
    Ok(decode(&row)?)
}

/// Cancels a pending or running task.
pub(super) async fn cancel(db: &DatabaseConnection, tenant: &str, id: Uuid, now: DateTime<Utc>) -> OpResult<Task> {
    let mut sql = Sql::new();
    sql.push("WITH changed AS (UPDATE bs_tasks AS t SET status = ")
        .push_trusted(&status_literal(TaskStatus::Cancelled));
    sql.push(", finished_at = ").bind(now).push(", updated_at = ").bind(now);
    sql.push(", lease_id = NULL, lease_expires_at = NULL WHERE t.tenant = ").bind(tenant).push(" AND t.id = ").bind(id);
    sql.push(" AND t.status IN (").push_trusted(&status_literal(TaskStatus::Pending)).push(", ");
    sql.push_trusted(&status_literal(TaskStatus::Running)).push(") RETURNING ").push(COLUMNS);
    push_touch_session(&mut sql, now);
    changed(db, sql, tenant, id, TaskChange::Cancel).await
}
