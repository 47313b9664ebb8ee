//! A `bs_tasks` row: its column list, status literals and decoding into core's `Task`.

use sea_orm::QueryResult;
use storage_core::StorageError;
use storage_core::task::{Task, TaskStatus};

use crate::failure::decode_error;

/// Every column of a task, from `bs_tasks AS t`.
pub(super) const COLUMNS: &str = "t.id, t.tenant, t.session_id, t.kind, t.payload, t.priority, t.target_agent, \
     t.dedup_key, t.status, t.attempts, t.max_attempts, t.retry_backoff_ms, t.not_before, t.claimed_by, t.lease_id, \
     t.lease_expires_at, t.result, t.last_error, t.created_at, t.updated_at, t.finished_at";

/// A status as an SQL literal (`'running'`): the enum's own text, so statements and the schema's CHECK
/// constraint and partial claim index agree. Literals, not parameters, so the planner can match the
/// partial index.
pub(super) fn status_literal(status: TaskStatus) -> String {
    format!("'{}'", status.as_str())
}

/// Decodes one task.
pub(super) fn decode(row: &QueryResult) -> Result<Task, StorageError> {
    let get = decode_error("a task");
    let status: String = row.try_get("", "status").map_err(&get)?;
    let attempts: i32 = row.try_get("", "attempts").map_err(&get)?;
    let max_attempts: i32 = row.try_get("", "max_attempts").map_err(&get)?;
    let backoff: i64 = row.try_get("", "retry_backoff_ms").map_err(&get)?;
    let unsigned = |value: i64, what: &str| {
        u64::try_from(value).map_err(|_| StorageError::backend("reading a task", format!("negative {what}: {value}")))
    };
    Ok(Task {
        id: row.try_get("", "id").map_err(&get)?,
        tenant: row.try_get("", "tenant").map_err(&get)?,
        session_id: row.try_get("", "session_id").map_err(&get)?,
        kind: row.try_get("", "kind").map_err(&get)?,
        payload: row.try_get("", "payload").map_err(&get)?,
        priority: row.try_get("", "priority").map_err(&get)?,
        target_agent: row.try_get("", "target_agent").map_err(&get)?,
        dedup_key: row.try_get("", "dedup_key").map_err(&get)?,
        status: status.parse::<TaskStatus>()?,
        attempts: u32::try_from(unsigned(i64::from(attempts), "attempts")?).unwrap_or(u32::MAX),
        max_attempts: u32::try_from(unsigned(i64::from(max_attempts), "max_attempts")?).unwrap_or(u32::MAX),
        retry_backoff_ms: unsigned(backoff, "retry_backoff_ms")?,
        not_before: row.try_get("", "not_before").map_err(&get)?,
        claimed_by: row.try_get("", "claimed_by").map_err(&get)?,
        lease_id: row.try_get("", "lease_id").map_err(&get)?,
        lease_expires_at: row.try_get("", "lease_expires_at").map_err(&get)?,
        result: row.try_get("", "result").map_err(&get)?,
        last_error: row.try_get("", "last_error").map_err(&get)?,
        created_at: row.try_get("", "created_at").map_err(&get)?,
        updated_at: row.try_get("", "updated_at").map_err(&get)?,
        finished_at: row.try_get("", "finished_at").map_err(&get)?,
    })
}
