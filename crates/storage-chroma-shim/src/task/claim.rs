//! Claiming: the best eligible task in one `BEGIN IMMEDIATE` transaction, so no two claimers share a task.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value};
use storage_core::StorageError;
use storage_core::task::{ClaimRequest, EXPIRED_LEASE_ERROR, Task, TaskStatus};
use uuid::Uuid;

use super::rows::{COLUMNS, decode};
use crate::columns::{micros, now};
use crate::db::{Db, push_in, query_one, stmt};
use crate::filter_sql::SqlCondition;
use crate::session::sessions;

/// The tasks `request` may take at `at`: pending and due, or running with an expired lease and attempts
/// left; targeted at the agent or at none; of a requested kind.
fn eligible(request: &ClaimRequest, at: i64) -> SqlCondition {
    let mut condition = SqlCondition {
        sql: "tenant = ? AND ((status = ? AND not_before <= ?) \
              OR (status = ? AND lease_expires_at <= ? AND attempts < max_attempts)) \
              AND (target_agent IS NULL OR target_agent = ?)"
            .to_owned(),
        values: vec![
            request.tenant.clone().into(),
            TaskStatus::Pending.as_str().into(),
            at.into(),
            TaskStatus::Running.as_str().into(),
            at.into(),
            request.agent.clone().into(),
        ],
        selective: false,
    };
    let kinds = request.kinds.iter().map(|kind| kind.clone().into()).collect();
    push_in(&mut condition.sql, &mut condition.values, "kind", kinds);
    condition
}

/// Whether a claim could take or dead-letter anything now: read without the write lock, so idle workers
/// polling an empty queue do not queue up on it. A task enqueued after this read waits for the next poll.
async fn worth_locking(conn: &impl ConnectionTrait, request: &ClaimRequest, at: i64) -> Result<bool, DbErr> {
    let SqlCondition { sql: condition, mut values, .. } = eligible(request, at);
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM tasks WHERE {condition}) \
         OR EXISTS (SELECT 1 FROM tasks WHERE tenant = ? AND status = ? AND lease_expires_at <= ?)"
    );
    values.extend([request.tenant.clone().into(), TaskStatus::Running.as_str().into(), at.into()]);
    let row = conn.query_one_raw(stmt(&sql, values)).await?;
    Ok(row.map(|row| row.try_get_by_index::<i64>(0)).transpose()?.unwrap_or(0) != 0)
}

/// Dead-letters the tenant's running tasks whose lease expired on their last attempt, keeping an earlier
/// attempt's error (core's rule, [`EXPIRED_LEASE_ERROR`]); their sessions see the activity.
async fn dead_letter_expired(conn: &impl ConnectionTrait, tenant: &str, at: DateTime<Utc>) -> Result<(), DbErr> {
    let expired = conn
        .query_all_raw(stmt(
            "UPDATE tasks SET status = ?, finished_at = ?, updated_at = ?, lease_id = NULL, lease_expires_at = NULL,
                 last_error = coalesce(last_error, ?)
             WHERE tenant = ? AND status = ? AND lease_expires_at <= ? AND attempts >= max_attempts
             RETURNING session_id",
            vec![
                TaskStatus::DeadLetter.as_str().into(),
                micros(at).into(),
                micros(at).into(),
                EXPIRED_LEASE_ERROR.into(),
                tenant.into(),
                TaskStatus::Running.as_str().into(),
                micros(at).into(),
            ],
        ))
        .await?;
    for row in &expired {
        if let Some(session_id) = row.try_get_by_index::<Option<String>>(0)? {
            sessions::touch(conn, tenant, &session_id, at).await?;
        }
    }
    Ok(())
}

/// Claims the highest-priority, then oldest, then lowest-id eligible task with a new lease, or `None`.
pub(super) async fn claim(db: &Db, request: &ClaimRequest) -> Result<Option<Task>, StorageError> {
    request.validate()?;
    let err = db.err("claim task");
    if !worth_locking(&db.conn, request, micros(now())).await.map_err(&err)? {
        return Ok(None);
    }
    let txn = db.begin_write().await.map_err(&err)?;
    // The clock is read under the write lock, so lease times follow commit order.
    let at = now();
    dead_letter_expired(&txn, &request.tenant, at).await.map_err(&err)?;
    let lease_ms = i64::try_from(request.lease_ms).unwrap_or(i64::MAX);
    let SqlCondition { sql: condition, mut values, .. } = eligible(request, micros(at));
    let sql = format!(
        "UPDATE tasks SET status = ?, attempts = attempts + 1, claimed_by = ?, lease_id = ?, lease_expires_at = ?,
             updated_at = ?
         WHERE pk = (SELECT pk FROM tasks WHERE {condition} ORDER BY priority DESC, created_at, id LIMIT 1)
         RETURNING {COLUMNS}"
    );
    let mut claim_values: Vec<Value> = vec![
        TaskStatus::Running.as_str().into(),
        request.agent.clone().into(),
        Uuid::new_v4().to_string().into(),
        micros(at + Duration::milliseconds(lease_ms)).into(),
        micros(at).into(),
    ];
    claim_values.append(&mut values);
    let claimed = query_one(&txn, &sql, claim_values, decode).await.map_err(&err)?;
    if let Some(session_id) = claimed.as_ref().and_then(|task| task.session_id.as_deref()) {
        sessions::touch(&txn, &request.tenant, session_id, at).await.map_err(&err)?;
    }
    txn.commit().await.map_err(&err)?;
    Ok(claimed)
}
