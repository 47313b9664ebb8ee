//! Enqueueing (idempotent per dedup key) and reading the queue: one task, pages, counts per status.

use std::collections::BTreeMap;

use sea_orm::Value;
use storage_core::StorageError;
use storage_core::task::{EnqueueOutcome, ListTasks, NewTask, Task, TaskStatus};
use uuid::Uuid;

use super::rows::{self, COLUMNS, decode};
use crate::columns::{count_value, json, micros, now, truncate};
use crate::db::{Db, push_in, query_all, query_one};
use crate::session::sessions;

/// Enqueues a task, or returns the tenant's task with the same dedup key.
pub(super) async fn enqueue(db: &Db, task: NewTask) -> Result<EnqueueOutcome, StorageError> {
    task.validate()?;
    let err = db.err("enqueue task");
    let txn = db.begin_write().await.map_err(&err)?;
    if let Some(key) = &task.dedup_key {
        let sql = format!("SELECT {COLUMNS} FROM tasks WHERE tenant = ? AND dedup_key = ?");
        if let Some(existing) =
            query_one(&txn, &sql, vec![task.tenant.clone().into(), key.clone().into()], decode).await.map_err(&err)?
        {
            return Ok(EnqueueOutcome { task: existing, created: false });
        }
    }
    let at = now();
    if let Some(session_id) = &task.session_id
        && sessions::touch(&txn, &task.tenant, session_id, at).await.map_err(&err)?.is_none()
    {
        return Err(sessions::not_found(&task.tenant, session_id));
    }
    let sql = format!(
        "INSERT INTO tasks (id, tenant, session_id, kind, payload, priority, target_agent, dedup_key, status, attempts,
             max_attempts, retry_backoff_ms, not_before, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?) RETURNING {COLUMNS}"
    );
    let values: Vec<Value> = vec![
        Uuid::now_v7().to_string().into(),
        task.tenant.clone().into(),
        task.session_id.clone().into(),
        task.kind.clone().into(),
        json(&task.payload).map_err(&err)?.into(),
        i64::from(task.priority).into(),
        task.target_agent.clone().into(),
        task.dedup_key.clone().into(),
        TaskStatus::Pending.as_str().into(),
        i64::from(task.max_attempts).into(),
        i64::try_from(task.retry_backoff_ms).unwrap_or(i64::MAX).into(),
        micros(task.not_before.map_or(at, truncate)).into(),
        micros(at).into(),
        micros(at).into(),
    ];
    let created = query_one(&txn, &sql, values, decode)
        .await
        .map_err(&err)?
        .ok_or_else(|| StorageError::backend("enqueue task", "the inserted task was not returned"))?;
    txn.commit().await.map_err(&err)?;
    Ok(EnqueueOutcome { task: created, created: true })
}

/// One task.
pub(super) async fn get_task(db: &Db, tenant: &str, id: Uuid) -> Result<Option<Task>, StorageError> {
    rows::by_id(&db.conn, tenant, id).await.map_err(db.err("get task"))
}

/// Tasks by status, kind and session, newest first.
pub(super) async fn list(db: &Db, request: &ListTasks) -> Result<Vec<Task>, StorageError> {
    let mut sql = format!("SELECT {COLUMNS} FROM tasks WHERE tenant = ?");
    let mut values: Vec<Value> = vec![request.tenant.clone().into()];
    push_in(&mut sql, &mut values, "status", request.statuses.iter().map(|status| status.as_str().into()).collect());
    push_in(&mut sql, &mut values, "kind", request.kinds.iter().map(|kind| kind.clone().into()).collect());
    if let Some(session_id) = &request.session_id {
        sql.push_str(" AND session_id = ?");
        values.push(session_id.clone().into());
    }
    sql.push_str(" ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?");
    values.extend([count_value(request.limit).into(), count_value(request.offset).into()]);
    query_all(&db.conn, &sql, values, decode).await.map_err(db.err("list tasks"))
}

/// Task counts per status, every status present.
pub(super) async fn stats(db: &Db, tenant: &str) -> Result<BTreeMap<TaskStatus, u64>, StorageError> {
    rows::counts_by_status(&db.conn, tenant, None).await.map_err(db.err("task stats"))
}
