//! Reading the queue: one task, pages of tasks, counts per status, and why a lease-bound change found no
//! row (`NotFound` or `Conflict`).

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DatabaseConnection, Value};
use storage_core::StorageError;
use storage_core::task::{ListTasks, Task, TaskChange, TaskStatus, check_task_change};
use uuid::Uuid;

use super::row::{COLUMNS, decode};
use crate::failure::{OpResult, decode_error};
use crate::ops::Sql;

/// One task of the tenant.
pub(super) async fn get<C: ConnectionTrait>(db: &C, tenant: &str, id: Uuid) -> OpResult<Option<Task>> {
    find(db, tenant, "t.id", id).await
}

/// The tenant's task whose `column` (unique within a tenant: `t.id`, `t.dedup_key`) holds `value`.
pub(super) async fn find<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    column: &'static str,
    value: impl Into<Value>,
) -> OpResult<Option<Task>> {
    let mut sql = Sql::new();
    sql.push("SELECT ").push(COLUMNS).push(" FROM bs_tasks AS t WHERE t.tenant = ").bind(tenant);
    sql.push(" AND ").push_trusted(column).push(" = ").bind(value);
    match db.query_one_raw(sql.build()).await? {
        Some(row) => Ok(Some(decode(&row)?)),
        None => Ok(None),
    }
}

/// A page of tasks, newest first.
pub(super) async fn list(db: &DatabaseConnection, request: &ListTasks) -> OpResult<Vec<Task>> {
    let mut sql = Sql::new();
    sql.push("SELECT ").push(COLUMNS).push(" FROM bs_tasks AS t WHERE t.tenant = ").bind(request.tenant.as_str());
    if !request.statuses.is_empty() {
        let statuses: Vec<String> = request.statuses.iter().map(|s| s.as_str().to_owned()).collect();
        sql.push(" AND t.status = ANY(").bind(statuses).push("::text[])");
    }
    if !request.kinds.is_empty() {
        sql.push(" AND t.kind = ANY(").bind(request.kinds.clone()).push("::text[])");
    }
    if let Some(session_id) = &request.session_id {
        sql.push(" AND t.session_id = ").bind(session_id.as_str());
    }
    sql.push(" ORDER BY t.created_at DESC, t.id DESC LIMIT ").bind(i64::try_from(request.limit).unwrap_or(i64::MAX));
    sql.push(" OFFSET ").bind(i64::try_from(request.offset).unwrap_or(i64::MAX));
    let rows = db.query_all_raw(sql.build()).await?;
    Ok(rows.iter().map(decode).collect::<Result<_, _>>()?)
}

/// Counts per status name of the tasks matching `scope`: every status present, zero included.
pub(crate) async fn counts_by_status<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    session_id: Option<&str>,
) -> OpResult<BTreeMap<TaskStatus, u64>> {
    let mut sql = Sql::new();
    sql.push("SELECT status, count(*) AS n FROM bs_tasks WHERE tenant = ").bind(tenant);
    if let Some(session_id) = session_id {
        sql.push(" AND session_id = ").bind(session_id);
    }
    sql.push(" GROUP BY status");
    let mut counts: BTreeMap<TaskStatus, u64> = TaskStatus::ALL.iter().map(|status| (*status, 0)).collect();
    let get = decode_error("task counts");
    for row in db.query_all_raw(sql.build()).await? {
        let status: String = row.try_get("", "status").map_err(&get)?;
        let n: i64 = row.try_get("", "n").map_err(&get)?;
        counts.insert(status.parse::<TaskStatus>()?, u64::try_from(n).unwrap_or(0));
    }
    Ok(counts)
}

/// Why `change` to task `id` matched no row: it does not exist in the tenant (`NotFound`), or core's rule
/// refuses it (`Conflict`: finished, or its lease was lost).
pub(super) async fn why_not_changed(
    db: &DatabaseConnection,
    tenant: &str,
    id: Uuid,
    change: TaskChange,
) -> OpResult<StorageError> {
    let Some(task) = get(db, tenant, id).await? else {
        return Ok(StorageError::NotFound { what: format!("task {id} in tenant `{tenant}`") });
    };
    // The statement's WHERE is core's rule in SQL, and a lease or a finished status never comes back, so the
    // rule refuses the task as read now unless the two disagree.
    Ok(check_task_change(&task, change).err().unwrap_or_else(|| {
        StorageError::backend(
            "task change",
            format!("the statement to {change} task {id} matched no row, yet core's rule allows it"),
        )
    }))
}
