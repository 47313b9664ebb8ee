//! Writing memories: `remember` (insert, update by key, or dedup into the nearest active memory of the same
//! scope and kind) and `supersede`, each in one transaction with its audit entries. Writes to one scope
//! take an advisory lock on it, so two writers cannot both insert the same key or the same near-duplicate.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, TransactionTrait};
use storage_core::memory::merge::{merge_duplicate, replace_by_key};
use storage_core::memory::{
    AuditAction, ChangeContext, Memory, MemoryStatus, MemoryTier, NewMemory, RememberAction, RememberOptions,
    RememberOutcome, Scope, check_supersede_tenant, hand_over_key, key_held_by,
};
use storage_core::{Embedding, Metric, StorageError};
use uuid::Uuid;

use super::audit;
use super::row::{COLUMNS, decode, push_exact_scope, push_tsv};
use super::space::{self, RowLock, exact_distance};
use crate::clock::round_up_to_micros;
use crate::failure::{OpResult, decode_error, is_unique_violation};
use crate::ops::{Sql, pg_vector};

/// Serialises the writes to one scope (`pg_advisory_xact_lock` on a hash of it).
async fn lock_scope(txn: &DatabaseTransaction, scope: &Scope) -> OpResult<()> {
    let key = serde_json::json!(["bs_memories", scope.tenant, scope.agent, scope.user, scope.conversation]).to_string();
    let mut sql = Sql::new();
    sql.push("SELECT pg_advisory_xact_lock(hashtextextended(").bind(key).push(", 0))");
    txn.execute_raw(sql.build()).await?;
    Ok(())
}

/// One memory of the tenant, locked for a change.
pub(super) async fn lock_memory<C: ConnectionTrait>(db: &C, tenant: &str, id: Uuid) -> OpResult<Option<Memory>> {
    let mut sql = Sql::new();
    sql.push("SELECT ").push(COLUMNS).push(" FROM bs_memories AS m WHERE m.tenant = ").bind(tenant);
    sql.push(" AND m.id = ").bind(id).push(" FOR UPDATE");
    match db.query_one_raw(sql.build()).await? {
        Some(row) => Ok(Some(decode(&row)?)),
        None => Ok(None),
    }
}

async fn lock_by_key(txn: &DatabaseTransaction, scope: &Scope, key: &str) -> OpResult<Option<Memory>> {
    let mut sql = Sql::new();
    sql.push("SELECT ").push(COLUMNS).push(" FROM bs_memories AS m WHERE ");
    push_exact_scope(&mut sql, scope);
    sql.push(" AND m.key = ").bind(key).push(" FOR UPDATE");
    match txn.query_one_raw(sql.build()).await? {
        Some(row) => Ok(Some(decode(&row)?)),
        None => Ok(None),
    }
}

/// The active memory of exactly this scope and kind nearest to `embedding` (an exact scan: the scope and
/// kind filter is selective, and a dedup decision must not miss its duplicate), with its similarity
/// (the score of the space's metric).
async fn nearest_active(
    txn: &DatabaseTransaction,
    scope: &Scope,
    kind: &str,
    embedding: &Embedding,
    metric: Metric,
) -> OpResult<Option<(Memory, f32)>> {
    let cast = format!("::vector({})", embedding.dimensions());
    let mut sql = Sql::new();
    sql.push("SELECT ").push(COLUMNS).push(", ").push(exact_distance(metric)).push("(m.embedding, ");
    sql.bind(pg_vector(embedding)).push_trusted(&cast).push(") AS distance FROM bs_memories AS m WHERE ");
    push_exact_scope(&mut sql, scope);
    sql.push(" AND m.kind = ").bind(kind).push(" AND m.status = ").bind(MemoryStatus::Active.as_str());
    sql.push(" AND m.embedding IS NOT NULL AND NOT m.stale ORDER BY distance, m.id LIMIT 1 FOR UPDATE");
    let Some(row) = txn.query_one_raw(sql.build()).await? else { return Ok(None) };
    let distance: f64 = row.try_get("", "distance").map_err(decode_error("a dedup candidate"))?;
    Ok(Some((decode(&row)?, metric.score(distance))))
}

/// Inserts `new` as memory `id` (timestamps from `occurred_at`, else `now`).
async fn insert(
    txn: &DatabaseTransaction,
    language: &str,
    new: &NewMemory,
    id: Uuid,
    supersedes: Option<Uuid>,
    now: DateTime<Utc>,
) -> OpResult<Memory> {
    let at = new.occurred_at.map_or(now, round_up_to_micros);
    let mut sql = Sql::new();
    sql.push(
        "INSERT INTO bs_memories AS m (id, tenant, agent_id, user_id, conversation_id, key, kind, content, subject, \
         tags, importance, confidence, pinned, source, status, tier, metadata, embedding, embedding_model, supersedes, \
         related, created_at, updated_at, last_accessed_at, expires_at, tsv) VALUES (",
    );
    sql.bind(id).push(", ").bind(new.scope.tenant.as_str()).push(", ").bind(new.scope.agent.clone()).push(", ");
    sql.bind(new.scope.user.clone()).push(", ").bind(new.scope.conversation.clone()).push(", ").bind(new.key.clone());
    sql.push(", ").bind(new.kind.as_str()).push(", ").bind(new.content.as_str()).push(", ").bind(new.subject.clone());
    sql.push(", ").bind(new.tags.clone()).push("::text[], ").bind(i16::from(new.importance)).push(", ");
    sql.bind(new.confidence).push(", ").bind(new.pinned).push(", ").bind(new.source.clone()).push(", ");
    sql.bind(MemoryStatus::Active.as_str()).push(", ").bind(new.tier.as_str()).push(", ").bind(new.metadata.to_value());
    sql.push(", ").bind(new.embedding.as_ref().map(pg_vector)).push(", ").bind(new.embedding_model.clone());
    sql.push(", ").bind(supersedes).push(", ").bind(new.related.clone()).push("::uuid[], ").bind(at).push(", ");
    sql.bind(at).push(", ").bind(at).push(", ").bind(new.expires_at.map(round_up_to_micros)).push(", ");
    push_tsv(&mut sql, language, &new.content, &new.tags);
    sql.push(") RETURNING ").push(COLUMNS);
    let row = txn.query_one_raw(sql.build()).await.map_err(|error| {
        if is_unique_violation(&error) {
            StorageError::Conflict { reason: "another memory of this scope already has this key".to_owned() }.into()
        } else {
            crate::failure::Failure::from(error)
        }
    })?;
    Ok(decode(&row.ok_or_else(|| StorageError::backend("remember", "no row returned"))?)?)
}

/// Writes the fields of `memory` (not its identity, scope, key, status or links) to its row, version + 1.
async fn rewrite(txn: &DatabaseTransaction, language: &str, memory: &Memory, now: DateTime<Utc>) -> OpResult<Memory> {
    let mut sql = Sql::new();
    sql.push("UPDATE bs_memories AS m SET kind = ").bind(memory.kind.as_str()).push(", content = ");
    sql.bind(memory.content.as_str()).push(", subject = ").bind(memory.subject.clone()).push(", tags = ");
    sql.bind(memory.tags.clone()).push("::text[], importance = ").bind(i16::from(memory.importance));
    sql.push(", confidence = ").bind(memory.confidence).push(", pinned = ").bind(memory.pinned).push(", source = ");
    sql.bind(memory.source.clone()).push(", tier = ").bind(memory.tier.as_str()).push(", metadata = ");
    sql.bind(memory.metadata.to_value()).push(", embedding = ").bind(memory.embedding.as_ref().map(pg_vector));
    sql.push(", embedding_model = ").bind(memory.embedding_model.clone()).push(", stale = ").bind(memory.stale);
    sql.push(", related = ").bind(memory.related.clone()).push("::uuid[], expires_at = ").bind(memory.expires_at);
    sql.push(", version = m.version + 1, updated_at = ").bind(now).push(", tsv = ");
    push_tsv(&mut sql, language, &memory.content, &memory.tags);
    sql.push(" WHERE m.id = ").bind(memory.id).push(" RETURNING ").push(COLUMNS);
    let row = txn.query_one_raw(sql.build()).await?;
    Ok(decode(&row.ok_or_else(|| StorageError::backend("remember", "the locked memory disappeared"))?)?)
}

/// Checks the embedding of `new` against the recorded space, holding the space row until commit; returns
/// the space's metric when there is an embedding.
async fn check_new_embedding(txn: &DatabaseTransaction, new: &NewMemory) -> OpResult<Option<Metric>> {
    let Some(embedding) = &new.embedding else { return Ok(None) };
    let recorded = space::read(txn, RowLock::Share).await?;
    storage_core::memory::check_memory_embedding(recorded.as_ref(), "embedding", embedding)?;
    Ok(recorded.map(|space| space.metric))
}

/// Inserts a memory, updates the one with its key, or (dedup) the nearest active memory of the same scope
/// and kind at least `dedup_threshold` similar. A memory with a key is identified by it, never deduplicated.
pub(super) async fn remember(
    db: &DatabaseConnection,
    language: &str,
    mut new: NewMemory,
    options: &RememberOptions,
    now: DateTime<Utc>,
) -> OpResult<RememberOutcome> {
    // Stored at the column's precision, so the returned memory equals what a later read gives.
    new.expires_at = new.expires_at.map(round_up_to_micros);
    let txn = db.begin().await?;
    let metric = check_new_embedding(&txn, &new).await?;
    lock_scope(&txn, &new.scope).await?;
    let context = &options.context;
    let merge_into = match (&new.key, options.dedup_threshold, new.embedding.as_ref().zip(metric)) {
        (Some(key), _, _) => {
            lock_by_key(&txn, &new.scope, key).await?.map(|existing| (existing, RememberAction::UpdatedByKey))
        }
        (None, Some(threshold), Some((embedding, metric))) => {
            nearest_active(&txn, &new.scope, &new.kind, embedding, metric)
                .await?
                .filter(|(_, similarity)| *similarity >= threshold)
                .map(|(existing, similarity)| (existing, RememberAction::Deduplicated { similarity }))
        }
        _ => None,
    };
    let outcome = match merge_into {
        Some((existing, action)) => {
            let rewritten = match action {
                RememberAction::Deduplicated { .. } => merge_duplicate(&existing, &new, now)?,
                _ => replace_by_key(&existing, &new, now),
            };
            let memory = rewrite(&txn, language, &rewritten, now).await?;
            audit::append(&txn, AuditAction::Updated, &[(Some(&existing), Some(&memory))], context, now).await?;
            RememberOutcome { memory, action }
        }
        None => {
            let memory = insert(&txn, language, &new, Uuid::now_v7(), None, now).await?;
            audit::append(&txn, AuditAction::Created, &[(None, Some(&memory))], context, memory.created_at).await?;
            RememberOutcome { memory, action: RememberAction::Created }
        }
    };
    txn.commit().await?;
    Ok(outcome)
}

/// Replaces `old_id` with `replacement`: the old memory becomes superseded (tier cold, `superseded_by`
/// set, its key handed to the replacement by core's `hand_over_key`), the new one records `supersedes`.
pub(super) async fn supersede(
    db: &DatabaseConnection,
    language: &str,
    tenant: &str,
    old_id: Uuid,
    mut replacement: NewMemory,
    context: &ChangeContext,
    now: DateTime<Utc>,
) -> OpResult<(Memory, Memory)> {
    check_supersede_tenant(tenant, &replacement)?;
    let txn = db.begin().await?;
    check_new_embedding(&txn, &replacement).await?;
    lock_scope(&txn, &replacement.scope).await?;
    let old = lock_memory(&txn, tenant, old_id)
        .await?
        .ok_or_else(|| StorageError::NotFound { what: format!("memory {old_id} in tenant `{tenant}`") })?;
    if old.status == MemoryStatus::Superseded {
        let newer = old.superseded_by.map(|id| format!(" by {id}")).unwrap_or_default();
        return Err(StorageError::Conflict { reason: format!("memory {old_id} is already superseded{newer}") }.into());
    }
    let hand_over = hand_over_key(&old, &mut replacement);
    if let Some(key) = replacement.key.as_deref().filter(|_| !hand_over)
        && let Some(holder) = lock_by_key(&txn, &replacement.scope, key).await?
    {
        return Err(key_held_by(key, holder.id).into());
    }
    let new_id = Uuid::now_v7();
    let mut sql = Sql::new();
    sql.push("UPDATE bs_memories AS m SET status = ").bind(MemoryStatus::Superseded.as_str()).push(", tier = ");
    sql.bind(MemoryTier::Cold.as_str()).push(", superseded_by = ").bind(new_id);
    if hand_over {
        sql.push(", key = NULL");
    }
    sql.push(", version = m.version + 1, updated_at = ").bind(now).push(" WHERE m.id = ").bind(old_id);
    sql.push(" RETURNING ").push(COLUMNS);
    let row = txn.query_one_raw(sql.build()).await?;
    let old_after = decode(&row.ok_or_else(|| StorageError::backend("supersede", "the locked memory disappeared"))?)?;
    let new = insert(&txn, language, &replacement, new_id, Some(old_id), now).await?;
    audit::append(&txn, AuditAction::StatusChanged, &[(Some(&old), Some(&old_after))], context, now).await?;
    audit::append(&txn, AuditAction::Created, &[(None, Some(&new))], context, new.created_at).await?;
    txn.commit().await?;
    Ok((old_after, new))
}
