//! The append-only memory audit log: written in each change's transaction, read by `history` and `as_of`.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use storage_core::StorageError;
use storage_core::memory::{AuditAction, AuditEntry, ChangeContext, Memory};
use uuid::Uuid;

use crate::columns::{get, get_enum, get_opt_json, get_time, get_uuid, json, micros};
use crate::db::{Db, query_all, query_one, stmt};

const COLUMNS: &str = "seq, memory_id, tenant, action, old, new, actor, reason, at";

/// Appends an entry for the change from `old` to `new` of memory `id`, made at `at`.
pub(super) async fn append(
    conn: &impl ConnectionTrait,
    action: AuditAction,
    old: Option<&Memory>,
    new: Option<&Memory>,
    context: &ChangeContext,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let Some(subject) = new.or(old) else { return Ok(()) };
    conn.execute_raw(stmt(
        "INSERT INTO memory_audit (memory_id, tenant, action, old, new, actor, reason, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            subject.id.to_string().into(),
            subject.scope.tenant.clone().into(),
            action.as_str().into(),
            old.map(json).transpose()?.into(),
            new.map(json).transpose()?.into(),
            context.actor.clone().into(),
            context.reason.clone().into(),
            micros(at).into(),
        ],
    ))
    .await?;
    Ok(())
}

fn decode(row: &QueryResult) -> Result<AuditEntry, DbErr> {
    Ok(AuditEntry {
        seq: get(row, "seq")?,
        memory_id: get_uuid(row, "memory_id")?,
        tenant: get(row, "tenant")?,
        action: get_enum(row, "action")?,
        old: get_opt_json(row, "old")?,
        new: get_opt_json(row, "new")?,
        actor: get(row, "actor")?,
        reason: get(row, "reason")?,
        at: get_time(row, "at")?,
    })
}

/// Every entry of memory `id` of `tenant`, oldest first.
pub(super) async fn history(db: &Db, tenant: &str, id: Uuid) -> Result<Vec<AuditEntry>, StorageError> {
    let sql = format!("SELECT {COLUMNS} FROM memory_audit WHERE tenant = ? AND memory_id = ? ORDER BY seq");
    query_all(&db.conn, &sql, vec![tenant.into(), id.to_string().into()], decode)
        .await
        .map_err(db.err("memory history"))
}

/// The memory as the latest entry at or before `at` left it: `None` before its creation and after its
/// deletion.
pub(super) async fn as_of(db: &Db, tenant: &str, id: Uuid, at: DateTime<Utc>) -> Result<Option<Memory>, StorageError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM memory_audit WHERE tenant = ? AND memory_id = ? AND at <= ? \
         ORDER BY at DESC, seq DESC LIMIT 1"
    );
    let values = vec![tenant.into(), id.to_string().into(), micros(at).into()];
    let entry = query_one(&db.conn, &sql, values, decode).await.map_err(db.err("memory as_of"))?;
    Ok(entry.and_then(|entry| entry.new))
}
