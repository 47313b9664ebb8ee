//! The append-only audit log `bs_memory_log`: entries written in the transaction of the change they
//! record (old and new memory as JSON, actor, reason, application-clock time), `history` and `as_of`.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use storage_core::StorageError;
use storage_core::memory::{AuditAction, AuditEntry, ChangeContext, Memory};
use uuid::Uuid;

use crate::failure::{OpResult, decode_error};
use crate::ops::Sql;

/// One change of one memory: its state before (none when created) and after (none when deleted).
pub(super) type Change<'a> = (Option<&'a Memory>, Option<&'a Memory>);

fn snapshot(memory: Option<&Memory>) -> Result<Value, StorageError> {
    match memory {
        Some(memory) => serde_json::to_value(memory).map_err(|error| StorageError::backend("logging a memory", error)),
        None => Ok(Value::Null),
    }
}

/// Appends one entry per change, in order, all with the same action, context and time.
pub(super) async fn append<C: ConnectionTrait>(
    db: &C,
    action: AuditAction,
    changes: &[Change<'_>],
    context: &ChangeContext,
    at: DateTime<Utc>,
) -> OpResult<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut entries = Vec::with_capacity(changes.len());
    for (old, new) in changes {
        let Some(memory) = new.or(*old) else { continue };
        entries.push(json!({
            "memory_id": memory.id,
            "tenant": memory.scope.tenant,
            "old": snapshot(*old)?,
            "new": snapshot(*new)?,
        }));
    }
    let mut sql = Sql::new();
    sql.push("INSERT INTO bs_memory_log (memory_id, tenant, action, old, new, actor, reason, at) SELECT ");
    sql.push("(e.value ->> 'memory_id')::uuid, e.value ->> 'tenant', ").bind(action.as_str());
    sql.push(", NULLIF(e.value -> 'old', 'null'::jsonb), NULLIF(e.value -> 'new', 'null'::jsonb), ");
    sql.bind(context.actor.as_str()).push(", ").bind(context.reason.clone()).push(", ").bind(at);
    sql.push(" FROM jsonb_array_elements(").bind(Value::Array(entries));
    sql.push("::jsonb) WITH ORDINALITY AS e(value, idx) ORDER BY e.idx");
    db.execute_raw(sql.build()).await?;
    Ok(())
}

fn memory_from(value: Option<Value>) -> Result<Option<Memory>, StorageError> {
    value
        .map(serde_json::from_value::<Memory>)
        .transpose()
        .map_err(|error| StorageError::backend("reading a logged memory", error))
}

/// The log of one memory of the tenant, oldest first.
pub(super) async fn history<C: ConnectionTrait>(db: &C, tenant: &str, id: Uuid) -> OpResult<Vec<AuditEntry>> {
    let mut sql = Sql::new();
    sql.push("SELECT seq, memory_id, tenant, action, old, new, actor, reason, at FROM bs_memory_log WHERE tenant = ");
    sql.bind(tenant).push(" AND memory_id = ").bind(id).push(" ORDER BY seq");
    let get = decode_error("an audit entry");
    let mut entries = Vec::new();
    for row in db.query_all_raw(sql.build()).await? {
        let action: String = row.try_get("", "action").map_err(&get)?;
        entries.push(AuditEntry {
            seq: row.try_get("", "seq").map_err(&get)?,
            memory_id: row.try_get("", "memory_id").map_err(&get)?,
            tenant: row.try_get("", "tenant").map_err(&get)?,
            action: action.parse::<AuditAction>()?,
            old: memory_from(row.try_get("", "old").map_err(&get)?)?,
            new: memory_from(row.try_get("", "new").map_err(&get)?)?,
            actor: row.try_get("", "actor").map_err(&get)?,
            reason: row.try_get("", "reason").map_err(&get)?,
            at: row.try_get("", "at").map_err(&get)?,
        });
    }
    Ok(entries)
}

/// The memory as the latest entry at or before `at` left it: `None` before it existed or once deleted.
pub(super) async fn as_of<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    id: Uuid,
    at: DateTime<Utc>,
) -> OpResult<Option<Memory>> {
    let mut sql = Sql::new();
    sql.push("SELECT action, new FROM bs_memory_log WHERE tenant = ").bind(tenant).push(" AND memory_id = ").bind(id);
    sql.push(" AND at <= ").bind(at).push(" ORDER BY at DESC, seq DESC LIMIT 1");
    let Some(row) = db.query_one_raw(sql.build()).await? else { return Ok(None) };
    let get = decode_error("an audit entry");
    let action: String = row.try_get("", "action").map_err(&get)?;
    if action.parse::<AuditAction>()? == AuditAction::Deleted {
        return Ok(None);
    }
    Ok(memory_from(row.try_get("", "new").map_err(&get)?)?)
}
