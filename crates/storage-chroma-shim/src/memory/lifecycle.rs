//! Reading memories one by one or by page, and the rest of their life: dispute, archive, forget, expire.

use chrono::{DateTime, Utc};
use sea_orm::Value;
use storage_core::StorageError;
use storage_core::memory::{AuditAction, ChangeContext, ExpireMode, ListMemories, Memory, MemoryStatus, Scope};
use uuid::Uuid;

use super::rows::{self, StoredMemory};
use super::{audit, not_found};
use crate::columns::{count_value, micros, now};
use crate::db::{self, Db};
use crate::filter_sql::SqlCondition;

/// One memory of `tenant`.
pub(super) async fn get(db: &Db, tenant: &str, id: Uuid) -> Result<Option<Memory>, StorageError> {
    let found = rows::by_id(&db.conn, tenant, id).await.map_err(db.err("get memory"))?;
    Ok(found.map(|stored| stored.memory))
}

/// The memory of exactly `scope` with `key`.
pub(super) async fn get_by_key(db: &Db, scope: &Scope, key: &str) -> Result<Option<Memory>, StorageError> {
    scope.validate()?;
    let found = rows::by_key(&db.conn, scope, key).await.map_err(db.err("get memory by key"))?;
    Ok(found.map(|stored| stored.memory))
}

/// Adds `AND c.<column> IN (?, ...)` for a non-empty list.
pub(super) fn push_in(condition: &mut SqlCondition, column: &str, items: Vec<Value>) {
    db::push_in(&mut condition.sql, &mut condition.values, &format!("c.{column}"), items);
}

/// A page of the scope's memories, newest first, then by id.
pub(super) async fn list(db: &Db, request: &ListMemories) -> Result<Vec<Memory>, StorageError> {
    let mut condition = rows::scope_condition(&request.scope);
    push_in(&mut condition, "kind", request.kinds.iter().map(|k| k.clone().into()).collect());
    push_in(&mut condition, "status", request.statuses.iter().map(|s| s.as_str().into()).collect());
    let mut values = condition.values;
    values.extend([count_value(request.limit).into(), count_value(request.offset).into()]);
    let found = rows::select(&db.conn, &condition.sql, "ORDER BY c.created_at DESC, c.id LIMIT ? OFFSET ?", values)
        .await
        .map_err(db.err("list memories"))?;
    Ok(found.into_iter().map(|stored| stored.memory).collect())
}

/// Sets a memory's status; the same status again changes nothing.
pub(super) async fn set_status(
    db: &Db,
    tenant: &str,
    id: Uuid,
    status: MemoryStatus,
    context: &ChangeContext,
) -> Result<Memory, StorageError> {
    let err = db.err("change memory status");
    let txn = db.begin_write().await.map_err(&err)?;
    let StoredMemory { pk, memory: old } =
        rows::by_id(&txn, tenant, id).await.map_err(&err)?.ok_or_else(|| not_found(tenant, id))?;
    if old.status == status {
        return Ok(old);
    }
    let at = now();
    let new = Memory { status, version: old.version + 1, updated_at: at, ..old.clone() };
    rows::update(&txn, pk, &old, &new).await.map_err(&err)?;
    audit::append(&txn, AuditAction::StatusChanged, Some(&old), Some(&new), context, at).await.map_err(&err)?;
    txn.commit().await.map_err(&err)?;
    Ok(new)
}

/// Hard-deletes a memory, keeping its history; returns whether it existed.
pub(super) async fn forget(db: &Db, tenant: &str, id: Uuid, context: &ChangeContext) -> Result<bool, StorageError> {
    let err = db.err("forget memory");
    let txn = db.begin_write().await.map_err(&err)?;
    let Some(StoredMemory { pk, memory }) = rows::by_id(&txn, tenant, id).await.map_err(&err)? else {
        return Ok(false);
    };
    rows::delete(&txn, pk).await.map_err(&err)?;
    audit::append(&txn, AuditAction::Deleted, Some(&memory), None, context, now()).await.map_err(&err)?;
    txn.commit().await.map_err(&err)?;
    Ok(true)
}

/// Deletes, or archives, the tenant's memories that expired by `at`; returns how many changed.
pub(super) async fn expire(
    db: &Db,
    tenant: &str,
    at: DateTime<Utc>,
    mode: ExpireMode,
    context: &ChangeContext,
) -> Result<u64, StorageError> {
    let err = db.err("expire memories");
    let txn = db.begin_write().await.map_err(&err)?;
    let mut condition = String::from("c.tenant = ? AND c.expires_at IS NOT NULL AND c.expires_at <= ?");
    let mut values: Vec<Value> = vec![tenant.into(), micros(at).into()];
    if mode == ExpireMode::Archive {
        condition.push_str(" AND c.status != ?");
        values.push(MemoryStatus::Archived.as_str().into());
    }
    let expired = rows::select(&txn, &condition, "ORDER BY c.pk", values).await.map_err(&err)?;
    let changed_at = now();
    for StoredMemory { pk, memory: old } in &expired {
        match mode {
            ExpireMode::Delete => {
                rows::delete(&txn, *pk).await.map_err(&err)?;
                audit::append(&txn, AuditAction::Deleted, Some(old), None, context, changed_at).await.map_err(&err)?;
            }
            ExpireMode::Archive => {
                let new = Memory {
                    status: MemoryStatus::Archived,
                    version: old.version + 1,
                    updated_at: changed_at,
                    ..old.clone()
                };
                rows::update(&txn, *pk, old, &new).await.map_err(&err)?;
                audit::append(&txn, AuditAction::StatusChanged, Some(old), Some(&new), context, changed_at)
                    .await
                    .map_err(&err)?;
            }
        }
    }
    txn.commit().await.map_err(&err)?;
    Ok(expired.len() as u64)
}
