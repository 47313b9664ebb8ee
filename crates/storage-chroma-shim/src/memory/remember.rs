//! Writing memories: `remember` (insert, update by key, or merge into a near-duplicate) and `supersede`.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use storage_core::memory::merge::{merge_duplicate, replace_by_key};
use storage_core::memory::{
    AuditAction, ChangeContext, Memory, MemoryStatus, MemoryTier, NewMemory, RememberAction, RememberOptions,
    RememberOutcome, check_memory_embedding, check_supersede_tenant, hand_over_key, key_held_by,
};
use storage_core::{Metric, StorageError};
use uuid::Uuid;

use super::rows::{self, StoredMemory};
use super::{audit, space};
use crate::columns::{get, get_embedding, now, truncate};
use crate::db::{Db, stmt};

/// A new memory from `new`, created at `at` unless it says when it happened.
fn created(new: NewMemory, at: DateTime<Utc>) -> Memory {
    let created_at = new.occurred_at.map_or(at, truncate);
    Memory {
        id: Uuid::now_v7(),
        scope: new.scope,
        key: new.key,
        kind: new.kind,
        content: new.content,
        subject: new.subject,
        tags: new.tags,
        importance: new.importance,
        confidence: new.confidence,
        pinned: new.pinned,
        source: new.source,
        status: MemoryStatus::Active,
        tier: new.tier,
        metadata: new.metadata,
        embedding: new.embedding,
        embedding_model: new.embedding_model,
        stale: false,
        version: 1,
        superseded_by: None,
        supersedes: None,
        related: new.related,
        created_at,
        updated_at: created_at,
        last_accessed_at: created_at,
        access_count: 0,
        expires_at: new.expires_at.map(truncate),
    }
}

/// The active, non-stale memory of exactly `new`'s scope and kind most similar to `new`'s embedding, if at
/// least `threshold` similar (score of the recorded metric; ties by id).
async fn duplicate(
    conn: &impl ConnectionTrait,
    new: &NewMemory,
    threshold: f32,
    metric: Metric,
) -> Result<Option<(StoredMemory, f32)>, DbErr> {
    let Some(embedding) = &new.embedding else { return Ok(None) };
    let mut values = rows::exact_scope_values(&new.scope);
    values.extend([new.kind.clone().into(), MemoryStatus::Active.as_str().into()]);
    let candidates = conn
        .query_all_raw(stmt(
            "SELECT c.pk, c.id, c.embedding FROM memories c
             WHERE c.tenant = ? AND coalesce(c.agent, '') = ? AND coalesce(c.user_id, '') = ?
                 AND coalesce(c.conversation, '') = ? AND c.kind = ? AND c.status = ? AND c.stale = 0
                 AND c.embedding IS NOT NULL",
            values,
        ))
        .await?;
    let mut best: Option<(i64, String, f32)> = None;
    for row in &candidates {
        let Some(stored) = get_embedding(row, "embedding")? else { continue };
        if stored.dimensions() != embedding.dimensions() {
            continue;
        }
        let similarity = metric.score(metric.distance(embedding.as_slice(), stored.as_slice()));
        let id: String = get(row, "id")?;
        let better = best.as_ref().is_none_or(|(_, best_id, best_similarity)| {
            similarity > *best_similarity || (similarity == *best_similarity && id < *best_id)
        });
        if similarity >= threshold && better {
            best = Some((get(row, "pk")?, id, similarity));
        }
    }
    let Some((pk, _, similarity)) = best else { return Ok(None) };
    Ok(rows::by_pks(conn, &[pk]).await?.remove(&pk).map(|stored| (stored, similarity)))
}

/// Inserts a memory, updates the one with its scope and key, or merges it into a near-duplicate.
pub(super) async fn remember(
    db: &Db,
    mut new: NewMemory,
    options: &RememberOptions,
) -> Result<RememberOutcome, StorageError> {
    new.validate()?;
    // Stored at the column's precision, so the returned memory equals what a later read gives.
    new.expires_at = new.expires_at.map(truncate);
    options.validate()?;
    let err = db.err("remember");
    let txn = db.begin_write().await.map_err(&err)?;
    let recorded = space::load(&txn).await.map_err(&err)?;
    if let Some(embedding) = &new.embedding {
        check_memory_embedding(recorded.as_ref(), "embedding", embedding)?;
    }
    let at = now();
    let context = &options.context;
    let keyed = match &new.key {
        Some(key) => rows::by_key(&txn, &new.scope, key).await.map_err(&err)?,
        None => None,
    };
    // A key names the memory: dedup applies only to memories remembered without one.
    let similar = match (&keyed, &new.key, options.dedup_threshold, &recorded) {
        (None, None, Some(threshold), Some(space)) => {
            duplicate(&txn, &new, threshold, space.metric).await.map_err(&err)?
        }
        _ => None,
    };
    let outcome = if let Some(StoredMemory { pk, memory: old }) = keyed {
        let memory = replace_by_key(&old, &new, at);
        rows::update(&txn, pk, &old, &memory).await.map_err(&err)?;
        audit::append(&txn, AuditAction::Updated, Some(&old), Some(&memory), context, at).await.map_err(&err)?;
        RememberOutcome { memory, action: RememberAction::UpdatedByKey }
    } else if let Some((StoredMemory { pk, memory: old }, similarity)) = similar {
        let memory = merge_duplicate(&old, &new, at)?;
        rows::update(&txn, pk, &old, &memory).await.map_err(&err)?;
        audit::append(&txn, AuditAction::Updated, Some(&old), Some(&memory), context, at).await.map_err(&err)?;
        RememberOutcome { memory, action: RememberAction::Deduplicated { similarity } }
    } else {
        let memory = created(new, at);
        rows::insert(&txn, &memory).await.map_err(&err)?;
        // Logged at the creation time, so `as_of` sees an imported memory from when it happened.
        audit::append(&txn, AuditAction::Created, None, Some(&memory), context, memory.created_at)
            .await
            .map_err(&err)?;
        RememberOutcome { memory, action: RememberAction::Created }
    };
    txn.commit().await.map_err(&err)?;
    Ok(outcome)
}

/// Replaces `old_id` with a new memory: the old one becomes superseded (tier cold) and both link to each
/// other. The old memory's key passes to a replacement of its scope (core's `hand_over_key`).
pub(super) async fn supersede(
    db: &Db,
    tenant: &str,
    old_id: Uuid,
    mut replacement: NewMemory,
    context: &ChangeContext,
) -> Result<(Memory, Memory), StorageError> {
    replacement.validate()?;
    check_supersede_tenant(tenant, &replacement)?;
    let err = db.err("supersede memory");
    let txn = db.begin_write().await.map_err(&err)?;
    if let Some(embedding) = &replacement.embedding {
        check_memory_embedding(space::load(&txn).await.map_err(&err)?.as_ref(), "embedding", embedding)?;
    }
    let StoredMemory { pk, memory: old } =
        rows::by_id(&txn, tenant, old_id).await.map_err(&err)?.ok_or_else(|| super::not_found(tenant, old_id))?;
    if let Some(newer) = old.superseded_by {
        return Err(StorageError::Conflict { reason: format!("memory {old_id} is already superseded by {newer}") });
    }
    let hand_over = hand_over_key(&old, &mut replacement);
    if let Some(key) = replacement.key.as_deref().filter(|_| !hand_over)
        && let Some(holder) = rows::by_key(&txn, &replacement.scope, key).await.map_err(&err)?
    {
        return Err(key_held_by(key, holder.memory.id));
    }
    let at = now();
    let mut new = created(replacement, at);
    new.supersedes = Some(old.id);
    let superseded = Memory {
        status: MemoryStatus::Superseded,
        tier: MemoryTier::Cold,
        superseded_by: Some(new.id),
        key: if hand_over { None } else { old.key.clone() },
        version: old.version + 1,
        updated_at: at,
        ..old.clone()
    };
    rows::update(&txn, pk, &old, &superseded).await.map_err(&err)?;
    rows::insert(&txn, &new).await.map_err(&err)?;
    audit::append(&txn, AuditAction::StatusChanged, Some(&old), Some(&superseded), context, at).await.map_err(&err)?;
    audit::append(&txn, AuditAction::Created, None, Some(&new), context, new.created_at).await.map_err(&err)?;
    txn.commit().await.map_err(&err)?;
    Ok((superseded, new))
}
