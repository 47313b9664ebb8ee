//! Changes to existing memories, each locked, applied and logged in one transaction: status changes,
//! forget, expiry, stale-model marking, re-embedding and purging.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, TransactionTrait};
use storage_core::memory::{
    AuditAction, ChangeContext, ExpireMode, Memory, MemoryStatus, SpaceReplacement, stale_model_context,
};
use storage_core::{Embedding, StorageError};
use uuid::Uuid;

use super::audit;
use super::remember::lock_memory;
use super::row::{COLUMNS, decode};
use super::space::{self, RowLock};
use crate::failure::OpResult;
use crate::ops::{Sql, pg_vector};
use crate::rows::query_all;

fn missing(tenant: &str, id: Uuid) -> StorageError {
    StorageError::NotFound { what: format!("memory {id} in tenant `{tenant}`") }
}

/// Locks the memories `select` picks (it pushes a condition on `bs_memories AS m`), in id order.
async fn lock_where(txn: &DatabaseTransaction, select: &(dyn Fn(&mut Sql) + Sync)) -> OpResult<Vec<Memory>> {
    let mut sql = Sql::new();
    sql.push("SELECT ").push(COLUMNS).push(" FROM bs_memories AS m WHERE ");
    select(&mut sql);
    sql.push(" ORDER BY m.id FOR UPDATE");
    query_all(txn, sql, decode).await
}

/// Applies `set` (assignments on `m`) to the locked memories `old`, adds 1 to their versions, sets
/// `updated_at`, and logs each change as `action`. Returns them as they are now, in the order of `old`.
pub(super) async fn update_locked(
    txn: &DatabaseTransaction,
    old: &[Memory],
    set: &(dyn Fn(&mut Sql) + Sync),
    action: AuditAction,
    context: &ChangeContext,
    now: DateTime<Utc>,
) -> OpResult<Vec<Memory>> {
    if old.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new();
    sql.push("UPDATE bs_memories AS m SET ");
    set(&mut sql);
    sql.push(", version = m.version + 1, updated_at = ").bind(now).push(" WHERE m.id = ANY(");
    sql.bind(old.iter().map(|m| m.id).collect::<Vec<Uuid>>()).push("::uuid[]) RETURNING ").push(COLUMNS);
    let mut changed = query_all(txn, sql, decode).await?;
    changed.sort_by_key(|m| old.iter().position(|o| o.id == m.id));
    let pairs: Vec<audit::Change<'_>> = old.iter().zip(&changed).map(|(o, n)| (Some(o), Some(n))).collect();
    audit::append(txn, action, &pairs, context, now).await?;
    Ok(changed)
}

/// Deletes the locked memories `old` and logs each deletion with its last state.
async fn delete_locked(
    txn: &DatabaseTransaction,
    old: &[Memory],
    context: &ChangeContext,
    now: DateTime<Utc>,
) -> OpResult<u64> {
    if old.is_empty() {
        return Ok(0);
    }
    let mut sql = Sql::new();
    sql.push("DELETE FROM bs_memories WHERE id = ANY(").bind(old.iter().map(|m| m.id).collect::<Vec<Uuid>>());
    sql.push("::uuid[])");
    let deleted = txn.execute_raw(sql.build()).await?.rows_affected();
    let pairs: Vec<audit::Change<'_>> = old.iter().map(|o| (Some(o), None)).collect();
    audit::append(txn, AuditAction::Deleted, &pairs, context, now).await?;
    Ok(deleted)
}

/// Sets a memory's status (dispute, archive); the same status again changes nothing.
pub(super) async fn set_status(
    db: &DatabaseConnection,
    tenant: &str,
    id: Uuid,
    status: MemoryStatus,
    context: &ChangeContext,
    now: DateTime<Utc>,
) -> OpResult<Memory> {
    let txn = db.begin().await?;
    let old = lock_memory(&txn, tenant, id).await?.ok_or_else(|| missing(tenant, id))?;
    if old.status == status {
        txn.commit().await?;
        return Ok(old);
    }
    let set = |sql: &mut Sql| {
        sql.push("status = ").bind(status.as_str());
    };
    let changed =
        update_locked(&txn, std::slice::from_ref(&old), &set, AuditAction::StatusChanged, context, now).await?;
    txn.commit().await?;
    changed.into_iter().next().ok_or_else(|| StorageError::backend("changing a status", "no row returned").into())
}

/// Hard-deletes a memory; its history stays in the log.
pub(super) async fn forget(
    db: &DatabaseConnection,
    tenant: &str,
    id: Uuid,
    context: &ChangeContext,
    now: DateTime<Utc>,
) -> OpResult<bool> {
    let txn = db.begin().await?;
    let Some(old) = lock_memory(&txn, tenant, id).await? else { return Ok(false) };
    let deleted = delete_locked(&txn, &[old], context, now).await?;
    txn.commit().await?;
    Ok(deleted > 0)
}

/// Deletes or archives the tenant's memories with `expires_at` ≤ `cutoff`.
pub(super) async fn expire(
    db: &DatabaseConnection,
    tenant: &str,
    cutoff: DateTime<Utc>,
    mode: ExpireMode,
    context: &ChangeContext,
    now: DateTime<Utc>,
) -> OpResult<u64> {
    let txn = db.begin().await?;
    let select = |sql: &mut Sql| {
        sql.push("m.tenant = ").bind(tenant).push(" AND m.expires_at <= ").bind(cutoff);
        if mode == ExpireMode::Archive {
            sql.push(" AND m.status <> ").bind(MemoryStatus::Archived.as_str());
        }
    };
    let expired = lock_where(&txn, &select).await?;
    let n = match mode {
        ExpireMode::Delete => delete_locked(&txn, &expired, context, now).await?,
        ExpireMode::Archive => {
            let set = |sql: &mut Sql| {
                sql.push("status = ").bind(MemoryStatus::Archived.as_str());
            };
            update_locked(&txn, &expired, &set, AuditAction::StatusChanged, context, now).await?.len() as u64
        }
    };
    txn.commit().await?;
    Ok(n)
}

/// Marks the tenant's memories embedded by another model than `current_model` stale.
pub(super) async fn mark_stale(
    db: &DatabaseConnection,
    tenant: &str,
    current_model: &str,
    now: DateTime<Utc>,
) -> OpResult<u64> {
    let txn = db.begin().await?;
    let select = |sql: &mut Sql| {
        sql.push("m.tenant = ").bind(tenant).push(" AND m.embedding_model IS NOT NULL AND m.embedding_model <> ");
        sql.bind(current_model).push(" AND NOT m.stale");
    };
    let old = lock_where(&txn, &select).await?;
    let set = |sql: &mut Sql| {
        sql.push("stale = true");
    };
    let context = stale_model_context(current_model);
    let n = update_locked(&txn, &old, &set, AuditAction::Updated, &context, now).await?.len();
    txn.commit().await?;
    Ok(n as u64)
}

/// Changes every memory (of every tenant) that core's `SpaceReplacement::changes` picks: marks it stale,
/// and clears its embedding when the dimensions change. Returns how many were changed.
pub(super) async fn mark_for_new_space(
    txn: &DatabaseTransaction,
    replacement: &SpaceReplacement,
    now: DateTime<Utc>,
) -> OpResult<u64> {
    let clear = replacement.clear_embeddings;
    // `SpaceReplacement::changes` as SQL.
    let select = |sql: &mut Sql| {
        sql.push("m.embedding IS NOT NULL");
        if !clear {
            match &replacement.model {
                Some(model) => {
                    sql.push(" AND NOT m.stale AND m.embedding_model IS DISTINCT FROM ").bind(model.clone());
                }
                None => {
                    sql.push(" AND FALSE");
                }
            }
        }
    };
    let old = lock_where(txn, &select).await?;
    let set = |sql: &mut Sql| {
        sql.push("stale = true");
        if clear {
            sql.push(", embedding = NULL");
        }
    };
    Ok(update_locked(txn, &old, &set, AuditAction::Updated, &replacement.context(), now).await?.len() as u64)
}

/// Sets a memory's embedding and model and clears `stale`.
pub(super) async fn update_embedding(
    db: &DatabaseConnection,
    tenant: &str,
    id: Uuid,
    embedding: &Embedding,
    model: &str,
    context: &ChangeContext,
    now: DateTime<Utc>,
) -> OpResult<Memory> {
    let txn = db.begin().await?;
    let recorded = space::read(&txn, RowLock::Share).await?;
    storage_core::memory::check_memory_embedding(recorded.as_ref(), "embedding", embedding)?;
    let old = lock_memory(&txn, tenant, id).await?.ok_or_else(|| missing(tenant, id))?;
    let set = |sql: &mut Sql| {
        sql.push("embedding = ").bind(pg_vector(embedding)).push(", embedding_model = ").bind(model);
        sql.push(", stale = false");
    };
    let changed = update_locked(&txn, std::slice::from_ref(&old), &set, AuditAction::Updated, context, now).await?;
    txn.commit().await?;
    changed.into_iter().next().ok_or_else(|| StorageError::backend("update_embedding", "no row returned").into())
}

/// Hard-deletes the tenant's stale memories.
pub(super) async fn purge_stale(
    db: &DatabaseConnection,
    tenant: &str,
    context: &ChangeContext,
    now: DateTime<Utc>,
) -> OpResult<u64> {
    let txn = db.begin().await?;
    let select = |sql: &mut Sql| {
        sql.push("m.tenant = ").bind(tenant).push(" AND m.stale");
    };
    let stale = lock_where(&txn, &select).await?;
    let n = delete_locked(&txn, &stale, context, now).await?;
    txn.commit().await?;
    Ok(n)
}
