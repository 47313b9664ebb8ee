//! The memory embedding space and stale models: record, replace, mark, re-embed, purge.

use sea_orm::{ConnectionTrait, DbErr};
use storage_core::memory::{
    AuditAction, ChangeContext, Memory, SpaceReplacement, check_memory_embedding, check_model_name,
    memory_space_change, stale_model_context, stale_under_model,
};
use storage_core::{Embedding, EmbeddingSpace, StorageError};
use uuid::Uuid;

use super::audit;
use super::rows::{self, StoredMemory};
use crate::columns::{count_value, now};
use crate::db::{Db, query_one, stmt};
use crate::ops::collections::space_values;
use crate::ops::reembed::space_from_row;

/// The recorded space, if any.
pub(super) async fn load(conn: &impl ConnectionTrait) -> Result<Option<EmbeddingSpace>, DbErr> {
    let sql = "SELECT provider, model, dimensions, metric FROM memory_space WHERE id = 1";
    query_one(conn, sql, vec![], space_from_row).await
}

pub(super) async fn store(conn: &impl ConnectionTrait, space: &EmbeddingSpace) -> Result<(), DbErr> {
    conn.execute_raw(stmt(
        "INSERT INTO memory_space (id, provider, model, dimensions, metric) VALUES (1, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET provider = excluded.provider, model = excluded.model,
             dimensions = excluded.dimensions, metric = excluded.metric",
        space_values(Some(space)),
    ))
    .await
    .map(drop)
}

/// Records `space`; the same space again is a no-op, a provider or model given for the first time is
/// recorded, and a different one is refused (core's `memory_space_change`).
pub(super) async fn set(db: &Db, space: &EmbeddingSpace) -> Result<(), StorageError> {
    space.validate()?;
    let err = db.err("set memory embedding space");
    let txn = db.begin_write().await.map_err(&err)?;
    let record = match load(&txn).await.map_err(&err)? {
        None => Some(space.clone()),
        Some(recorded) => memory_space_change(&recorded, space)?,
    };
    if let Some(space) = record {
        store(&txn, &space).await.map_err(&err)?;
    }
    txn.commit().await.map_err(&err)
}

/// Records `space` and changes the memories core's `SpaceReplacement` picks (stale; embedding cleared
/// when the dimensions change), auditing each. Returns how many were changed.
pub(super) async fn replace(db: &Db, space: &EmbeddingSpace) -> Result<u64, StorageError> {
    space.validate()?;
    let err = db.err("replace memory embedding space");
    let txn = db.begin_write().await.map_err(&err)?;
    let replacement = SpaceReplacement::new(load(&txn).await.map_err(&err)?.as_ref(), space);
    store(&txn, space).await.map_err(&err)?;
    let candidates = rows::select(&txn, "c.embedding IS NOT NULL", "ORDER BY c.id", vec![]).await.map_err(&err)?;
    let context = replacement.context();
    let mut changed = 0;
    for StoredMemory { pk, memory } in candidates.iter().filter(|stored| replacement.changes(&stored.memory)) {
        let mut marked = Memory { stale: true, ..memory.clone() };
        if replacement.clear_embeddings {
            marked.embedding = None;
        }
        mark(&txn, *pk, memory, marked, &context).await.map_err(&err)?;
        changed += 1;
    }
    txn.commit().await.map_err(&err)?;
    Ok(changed)
}

/// Marks the tenant's memories embedded by another model than `current_model` stale (core's
/// `stale_under_model`), auditing each; returns how many were newly marked.
pub(super) async fn mark_stale(db: &Db, tenant: &str, current_model: &str) -> Result<u64, StorageError> {
    check_model_name("model", current_model)?;
    let err = db.err("mark stale memories");
    let txn = db.begin_write().await.map_err(&err)?;
    let candidates = rows::select(
        &txn,
        "c.tenant = ? AND c.stale = 0 AND c.embedding_model IS NOT NULL",
        "ORDER BY c.id",
        vec![tenant.into()],
    )
    .await
    .map_err(&err)?;
    let context = stale_model_context(current_model);
    let mut changed = 0;
    for StoredMemory { pk, memory } in
        candidates.iter().filter(|stored| stale_under_model(&stored.memory, current_model))
    {
        mark(&txn, *pk, memory, Memory { stale: true, ..memory.clone() }, &context).await.map_err(&err)?;
        changed += 1;
    }
    txn.commit().await.map_err(&err)?;
    Ok(changed)
}

/// Writes `new` (the memory at `pk`, changed by the store) with version + 1 and audits it as an update.
async fn mark(
    conn: &impl ConnectionTrait,
    pk: i64,
    old: &Memory,
    new: Memory,
    context: &ChangeContext,
) -> Result<(), DbErr> {
    let at = now();
    let new = Memory { version: old.version + 1, updated_at: at, ..new };
    rows::update(conn, pk, old, &new).await?;
    audit::append(conn, AuditAction::Updated, Some(old), Some(&new), context, at).await
}

/// Up to `limit` stale memories of the tenant, oldest first.
pub(super) async fn stale(db: &Db, tenant: &str, limit: usize) -> Result<Vec<Memory>, StorageError> {
    let found = rows::select(
        &db.conn,
        "c.tenant = ? AND c.stale = 1",
        "ORDER BY c.created_at, c.id LIMIT ?",
        vec![tenant.into(), count_value(limit).into()],
    )
    .await
    .map_err(db.err("stale memories"))?;
    Ok(found.into_iter().map(|stored| stored.memory).collect())
}

/// Sets a memory's embedding and model and clears `stale`.
pub(super) async fn update_embedding(
    db: &Db,
    tenant: &str,
    id: Uuid,
    embedding: Embedding,
    model: &str,
    context: &ChangeContext,
) -> Result<Memory, StorageError> {
    check_model_name("model", model)?;
    let err = db.err("update memory embedding");
    let txn = db.begin_write().await.map_err(&err)?;
    check_memory_embedding(load(&txn).await.map_err(&err)?.as_ref(), "embedding", &embedding)?;
    let StoredMemory { pk, memory: old } =
        rows::by_id(&txn, tenant, id).await.map_err(&err)?.ok_or_else(|| super::not_found(tenant, id))?;
    let at = now();
    let new = Memory {
        embedding: Some(embedding),
        embedding_model: Some(model.to_owned()),
        stale: false,
        version: old.version + 1,
        updated_at: at,
        ..old.clone()
    };
    rows::update(&txn, pk, &old, &new).await.map_err(&err)?;
    audit::append(&txn, AuditAction::Updated, Some(&old), Some(&new), context, at).await.map_err(&err)?;
    txn.commit().await.map_err(&err)?;
    Ok(new)
}

/// Deletes the tenant's stale memories, logging each; returns how many.
pub(super) async fn purge(db: &Db, tenant: &str, context: &ChangeContext) -> Result<u64, StorageError> {
    let err = db.err("purge stale memories");
    let txn = db.begin_write().await.map_err(&err)?;
    let stale =
        rows::select(&txn, "c.tenant = ? AND c.stale = 1", "ORDER BY c.pk", vec![tenant.into()]).await.map_err(&err)?;
    let at = now();
    for stored in &stale {
        rows::delete(&txn, stored.pk).await.map_err(&err)?;
        audit::append(&txn, AuditAction::Deleted, Some(&stored.memory), None, context, at).await.map_err(&err)?;
    }
    txn.commit().await.map_err(&err)?;
    Ok(stale.len() as u64)
}
