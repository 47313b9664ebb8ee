//! What a lease holder does with its task (heartbeat, complete, fail), fenced by `lease_id`, and cancel.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, Value};
use serde_json::Value as Json;
use storage_core::StorageError;
use storage_core::task::{Task, TaskChange, TaskStatus, check_task_change, retry_delay_ms};
use uuid::Uuid;

use super::rows::{self, COLUMNS, decode, not_found};
use crate::columns::{json, micros, now};
use crate::db::{Db, query_one};
use crate::session::sessions;

/// The task `id` if core's rule lets `change` be made to it: `NotFound` when the tenant has no such task,
/// `Conflict` when it finished or its lease was lost.
async fn changeable(
    conn: &impl ConnectionTrait,
    db: &Db,
    tenant: &str,
    id: Uuid,
    change: TaskChange,
) -> Result<Task, StorageError> {
    let task =
        rows::by_id(conn, tenant, id).await.map_err(db.err("task lease"))?.ok_or_else(|| not_found(tenant, id))?;
    check_task_change(&task, change)?;
    Ok(task)
}

/// Writes `assignments` (SQL with its values) to task `id`, counts the activity of its session, commits
/// and returns the task as stored.
async fn write(
    txn: DatabaseTransaction,
    db: &Db,
    task: &Task,
    assignments: &str,
    mut values: Vec<Value>,
    at: DateTime<Utc>,
) -> Result<Task, StorageError> {
    let err = db.err("update task");
    let sql = format!("UPDATE tasks SET {assignments}, updated_at = ? WHERE tenant = ? AND id = ? RETURNING {COLUMNS}");
    values.extend([micros(at).into(), task.tenant.clone().into(), task.id.to_string().into()]);
    let updated =
        query_one(&txn, &sql, values, decode).await.map_err(&err)?.ok_or_else(|| not_found(&task.tenant, task.id))?;
    if let Some(session_id) = &task.session_id {
        sessions::touch(&txn, &task.tenant, session_id, at).await.map_err(&err)?;
    }
    txn.commit().await.map_err(&err)?;
    Ok(updated)
}

/// Extends the lease to `lease_ms` from now.
pub(super) async fn heartbeat(
    db: &Db,
    tenant: &str,
    id: Uuid,
    lease_id: Uuid,
    lease_ms: u64,
) -> Result<Task, StorageError> {
    let txn = db.begin_write().await.map_err(db.err("heartbeat"))?;
    let task = changeable(&txn, db, tenant, id, TaskChange::Heartbeat(lease_id)).await?;
    let at = now();
    let expires = at + Duration::milliseconds(i64::try_from(lease_ms).unwrap_or(i64::MAX));
    // A heartbeat is not session activity: it records liveness, not work.
    let err = db.err("heartbeat");
    let sql = format!(
        "UPDATE tasks SET lease_expires_at = ?, updated_at = ? WHERE tenant = ? AND id = ? RETURNING {COLUMNS}"
    );
    let values: Vec<Value> = vec![micros(expires).into(), micros(at).into(), tenant.into(), task.id.to_string().into()];
    let updated = query_one(&txn, &sql, values, decode).await.map_err(&err)?.ok_or_else(|| not_found(tenant, id))?;
    txn.commit().await.map_err(&err)?;
    Ok(updated)
}

/// Completes the task with its result.
pub(super) async fn complete(
    db: &Db,
    tenant: &str,
    id: Uuid,
    lease_id: Uuid,
    result: Json,
) -> Result<Task, StorageError> {
    let txn = db.begin_write().await.map_err(db.err("complete task"))?;
    let task = changeable(&txn, db, tenant, id, TaskChange::Complete(lease_id)).await?;
    let at = now();
    let values: Vec<Value> = vec![
        TaskStatus::Completed.as_str().into(),
        json(&result).map_err(db.err("complete task"))?.into(),
        micros(at).into(),
    ];
    write(
        txn,
        db,
        &task,
        "status = ?, result = ?, finished_at = ?, lease_id = NULL, lease_expires_at = NULL",
        values,
        at,
    )
    .await
}

/// Records a failed attempt: pending again after the backoff, or dead-lettered on the last attempt.
pub(super) async fn fail(db: &Db, tenant: &str, id: Uuid, lease_id: Uuid, error: &str) -> Result<Task, StorageError> {
    let txn = db.begin_write().await.map_err(db.err("fail task"))?;
    let task = changeable(&txn, db, tenant, id, TaskChange::Fail(lease_id)).await?;
    let at = now();
    let (assignments, values): (&str, Vec<Value>) = if task.attempts >= task.max_attempts {
        (
            "status = ?, last_error = ?, finished_at = ?, lease_id = NULL, lease_expires_at = NULL",
            vec![TaskStatus::DeadLetter.as_str().into(), error.into(), micros(at).into()],
        )
    } else {
        let delay = retry_delay_ms(task.retry_backoff_ms, task.attempts);
        let retry_at = at + Duration::milliseconds(i64::try_from(delay).unwrap_or(i64::MAX));
        (
            "status = ?, last_error = ?, not_before = ?, lease_id = NULL, lease_expires_at = NULL",
            vec![TaskStatus::Pending.as_str().into(), error.into(), micros(retry_at).into()],
        )
    };
    write(txn, db, &task, assignments, values, at).await
}

/// Cancels a pending or running task; a finished one is a `Conflict`.
pub(super) async fn cancel(db: &Db, tenant: &str, id: Uuid) -> Result<Task, StorageError> {
    let txn = db.begin_write().await.map_err(db.err("cancel task"))?;
    let task = changeable(&txn, db, tenant, id, TaskChange::Cancel).await?;
    let at = now();
    let values: Vec<Value> = vec![TaskStatus::Cancelled.as_str().into(), micros(at).into()];
    write(txn, db, &task, "status = ?, finished_at = ?, lease_id = NULL, lease_expires_at = NULL", values, at).await
}
