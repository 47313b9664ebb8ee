//! Task rows: the column list and decoding, the lookups queue operations start from, counts per status.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DbErr, QueryResult, Value};
use storage_core::StorageError;
use storage_core::task::{Task, TaskStatus};
use uuid::Uuid;

use crate::columns::{get, get_enum, get_json, get_opt_json, get_opt_time, get_opt_uuid, get_time, get_u64, get_uuid};
use crate::db::{query_one, stmt};

/// Every column `decode` reads.
pub(super) const COLUMNS: &str = "id, tenant, session_id, kind, payload, priority, target_agent, dedup_key, status, \
    attempts, max_attempts, retry_backoff_ms, not_before, claimed_by, lease_id, lease_expires_at, result, last_error, \
    created_at, updated_at, finished_at";

fn to_u32(value: i64, column: &str) -> Result<u32, DbErr> {
    u32::try_from(value).map_err(|e| DbErr::Type(format!("column {column}: {e}")))
}

/// A row selected (or returned) with [`COLUMNS`].
pub(super) fn decode(row: &QueryResult) -> Result<Task, DbErr> {
    let priority: i64 = get(row, "priority")?;
    Ok(Task {
        id: get_uuid(row, "id")?,
        tenant: get(row, "tenant")?,
        session_id: get(row, "session_id")?,
        kind: get(row, "kind")?,
        payload: get_json(row, "payload")?,
        priority: i32::try_from(priority).map_err(|e| DbErr::Type(format!("column priority: {e}")))?,
        target_agent: get(row, "target_agent")?,
        dedup_key: get(row, "dedup_key")?,
        status: get_enum(row, "status")?,
        attempts: to_u32(get(row, "attempts")?, "attempts")?,
        max_attempts: to_u32(get(row, "max_attempts")?, "max_attempts")?,
        retry_backoff_ms: get_u64(row, "retry_backoff_ms")?,
        not_before: get_time(row, "not_before")?,
        claimed_by: get(row, "claimed_by")?,
        lease_id: get_opt_uuid(row, "lease_id")?,
        lease_expires_at: get_opt_time(row, "lease_expires_at")?,
        result: get_opt_json(row, "result")?,
        last_error: get(row, "last_error")?,
        created_at: get_time(row, "created_at")?,
        updated_at: get_time(row, "updated_at")?,
        finished_at: get_opt_time(row, "finished_at")?,
    })
}

/// Task `id` of `tenant`.
pub(super) async fn by_id(conn: &impl ConnectionTrait, tenant: &str, id: Uuid) -> Result<Option<Task>, DbErr> {
    let sql = format!("SELECT {COLUMNS} FROM tasks WHERE tenant = ? AND id = ?");
    query_one(conn, &sql, vec![tenant.into(), id.to_string().into()], decode).await
}

/// The error for a task id that does not exist in the tenant (or belongs to another).
pub(super) fn not_found(tenant: &str, id: Uuid) -> StorageError {
    StorageError::NotFound { what: format!("task {id} in tenant `{tenant}`") }
}

/// Task counts per status, every status present, of the tenant or of one of its sessions.
pub(crate) async fn counts_by_status(
    conn: &impl ConnectionTrait,
    tenant: &str,
    session_id: Option<&str>,
) -> Result<BTreeMap<TaskStatus, u64>, DbErr> {
    let (sql, values): (&str, Vec<Value>) = match session_id {
        None => ("SELECT status, count(*) AS n FROM tasks WHERE tenant = ? GROUP BY status", vec![tenant.into()]),
        Some(session_id) => (
            "SELECT status, count(*) AS n FROM tasks WHERE tenant = ? AND session_id = ? GROUP BY status",
            vec![tenant.into(), session_id.into()],
        ),
    };
    let mut counts: BTreeMap<TaskStatus, u64> = TaskStatus::ALL.iter().map(|status| (*status, 0)).collect();
    for row in &conn.query_all_raw(stmt(sql, values)).await? {
        counts.insert(get_enum(row, "status")?, get_u64(row, "n")?);
    }
    Ok(counts)
}
