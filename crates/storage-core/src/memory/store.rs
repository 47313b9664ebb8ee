//! The `MemoryStore` trait, and `reembed_stale`, the re-embedding loop built on it.

use std::fmt;
use std::future::Future;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::audit::AuditEntry;
use super::query::{ListMemories, RecallHit, RecallRequest};
use super::types::{ChangeContext, ExpireMode, Memory, NewMemory, RememberOptions, RememberOutcome, Scope};
use crate::embedding::{Embedding, EmbeddingSpace};

/// Agent memory, confined per tenant. Every method takes the tenant (directly or in a [`Scope`]); an id of
/// another tenant behaves exactly like an id that does not exist.
///
/// Timestamps are taken from the application clock (`Utc::now()`), never the database's, so `as_of` and
/// recency agree with the caller's notion of time on every backend. Every create, update, status change
/// and delete appends an [`AuditEntry`] in the same transaction.
#[async_trait]
pub trait MemoryStore: Send + Sync + fmt::Debug + 'static {
    /// The embedding space memory embeddings belong to.
    async fn memory_embedding_space(&self) -> crate::Result<Option<EmbeddingSpace>>;

    /// Records the memory embedding space. The same space again is a no-op, a provider or model given for
    /// the first time is recorded ([`EmbeddingSpace::completed_by`]), and a different one is refused
    /// (`DimensionMismatch` / `ModelMismatch`): use [`MemoryStore::replace_memory_embedding_space`].
    async fn set_memory_embedding_space(&self, space: &EmbeddingSpace) -> crate::Result<()>;

    /// Switches to another embedding model: records `space` and changes the memories
    /// [`super::SpaceReplacement`] picks: when the dimensions change, every memory with an embedding loses it
    /// and is stale; else every memory not yet stale embedded by another model than `space.model` becomes
    /// stale (none when `space` names no model). Each change raises `version` and `updated_at` and is
    /// audited as an update by [`super::SYSTEM_ACTOR`]. Returns how many memories it changed.
    /// Re-embed them with [`reembed_stale`] or remove them with [`MemoryStore::purge_stale`].
    async fn replace_memory_embedding_space(&self, space: &EmbeddingSpace) -> crate::Result<u64>;

    /// Inserts a memory, or updates the memory with the same scope and key, or (dedup) the active memory
    /// of the same scope and kind whose embedding is at least `dedup_threshold` similar.
    async fn remember(&self, memory: NewMemory, options: &RememberOptions) -> crate::Result<RememberOutcome>;

    /// Hybrid recall ranked by [`super::scoring::rank`] at `request.now` (default: now). The candidates are
    /// up to `request.candidates` memories from each leg the request has: the keyword leg for its
    /// [`query_text`](super::RecallRequest::query_text), the semantic leg for its embedding; with neither,
    /// the most recently accessed and the most important (pinned first, then by importance). Memories whose
    /// `expires_at` has passed at that time are never returned, even before [`MemoryStore::expire`] runs.
    /// Bumps `access_count` and `last_accessed_at` of the returned memories (the hits show the values from
    /// before).
    async fn recall(&self, request: &RecallRequest) -> crate::Result<Vec<RecallHit>>;

    /// One memory by id. A plain read: it does not count as an access.
    async fn get_memory(&self, tenant: &str, id: Uuid) -> crate::Result<Option<Memory>>;

    /// One memory by scope and key.
    async fn get_memory_by_key(&self, scope: &Scope, key: &str) -> crate::Result<Option<Memory>>;

    /// Memories of a scope, newest (`created_at`) first, then by id.
    async fn list_memories(&self, request: &ListMemories) -> crate::Result<Vec<Memory>>;

    /// Replaces `old_id` with a new memory: the old one becomes `superseded` (tier cold) with
    /// `superseded_by` set, the new one has `supersedes` set. Returns (old, new).
    ///
    /// The replacement must be of `tenant` ([`super::check_supersede_tenant`]). The old memory's key passes
    /// to a replacement of the same scope that names no other key ([`super::hand_over_key`]), so
    /// [`MemoryStore::get_memory_by_key`] then finds the replacement; a key another memory of the scope
    /// holds is refused ([`super::key_held_by`]).
    async fn supersede(
        &self,
        tenant: &str,
        old_id: Uuid,
        replacement: NewMemory,
        context: &ChangeContext,
    ) -> crate::Result<(Memory, Memory)>;

    /// Marks a memory disputed.
    async fn dispute(&self, tenant: &str, id: Uuid, context: &ChangeContext) -> crate::Result<Memory>;

    /// Marks a memory archived.
    async fn archive(&self, tenant: &str, id: Uuid, context: &ChangeContext) -> crate::Result<Memory>;

    /// Hard-deletes a memory; its audit history stays. Returns whether it existed.
    async fn forget(&self, tenant: &str, id: Uuid, context: &ChangeContext) -> crate::Result<bool>;

    /// Deletes or archives the tenant's memories whose `expires_at` ≤ `now`; returns how many.
    async fn expire(
        &self,
        tenant: &str,
        now: DateTime<Utc>,
        mode: ExpireMode,
        context: &ChangeContext,
    ) -> crate::Result<u64>;

    /// Marks the tenant's memories not yet stale embedded by a model other than `current_model` stale
    /// ([`super::stale_under_model`]); each raises `version` and `updated_at` and is audited as an update by
    /// [`super::SYSTEM_ACTOR`] ([`super::stale_model_context`]). Returns how many were newly marked.
    async fn mark_stale(&self, tenant: &str, current_model: &str) -> crate::Result<u64>;

    /// Up to `limit` (1 to [`crate::MAX_PAGE_LIMIT`]) stale memories of the tenant, oldest first.
    async fn stale_memories(&self, tenant: &str, limit: usize) -> crate::Result<Vec<Memory>>;

    /// Sets a memory's embedding and model, and clears `stale`.
    async fn update_embedding(
        &self,
        tenant: &str,
        id: Uuid,
        embedding: Embedding,
        model: &str,
        context: &ChangeContext,
    ) -> crate::Result<Memory>;

    /// Hard-deletes the tenant's stale memories; returns how many.
    async fn purge_stale(&self, tenant: &str, context: &ChangeContext) -> crate::Result<u64>;

    /// Stages a re-embedding of every memory (all tenants) into `space` beside the current vectors, or
    /// resumes the one staged for the same space (another is refused: [`crate::check_staged_space`]).
    /// Recall keeps the current space until [`switch_memory_reembed`](Self::switch_memory_reembed); the
    /// staging survives a restart. Returns the progress so far (every memory counts, embedded or not).
    async fn begin_memory_reembed(&self, space: &EmbeddingSpace) -> crate::Result<crate::ReembedProgress>;

    /// The staged memory re-embedding's progress, or `None` when nothing is staged.
    async fn memory_reembed_progress(&self) -> crate::Result<Option<crate::ReembedProgress>>;

    /// Up to `limit` memories (1 to [`crate::MAX_LIST_LIMIT`]) without a vector in the staged space, or
    /// whose staged vector was computed from an older revision (`updated_at`): id (the UUID), content and
    /// revision, in id order.
    async fn memory_reembed_pending(&self, limit: usize) -> crate::Result<Vec<crate::PendingText>>;

    /// Writes staged vectors ([`crate::check_staged_vectors`] first, so a bad one writes nothing); a
    /// vector whose memory is gone or was changed since is skipped. Returns how many were written.
    async fn stage_memory_vectors(&self, vectors: Vec<crate::StagedVector>) -> crate::Result<u64>;

    /// In one transaction: every memory takes its staged vector and the new model (and is no longer
    /// stale), the staged space becomes the memory space, and the staging is dropped. Refused while any
    /// memory is pending ([`crate::check_switch`]). No audit entry: the content is unchanged.
    async fn switch_memory_reembed(&self) -> crate::Result<crate::ReembedProgress>;

    /// Forgets the staged space and its vectors; returns whether anything was staged.
    async fn abandon_memory_reembed(&self) -> crate::Result<bool>;

    /// The audit log of one memory, oldest first (also after it was forgotten).
    async fn history(&self, tenant: &str, id: Uuid) -> crate::Result<Vec<AuditEntry>>;

    /// The memory as it was at `at`, from the audit log; `None` before it existed or after it was deleted.
    async fn as_of(&self, tenant: &str, id: Uuid, at: DateTime<Utc>) -> crate::Result<Option<Memory>>;
}

/// Re-embeds every stale memory of `tenant` with `embed` (called with batches of up to `batch` contents,
/// returning one embedding per content), recording `model`. Returns how many were re-embedded.
pub async fn reembed_stale<F, Fut>(
    store: &dyn MemoryStore,
    tenant: &str,
    model: &str,
    batch: usize,
    context: &ChangeContext,
    mut embed: F,
) -> crate::Result<u64>
where
    F: FnMut(Vec<String>) -> Fut + Send,
    Fut: Future<Output = crate::Result<Vec<Embedding>>> + Send,
{
    let mut done = 0u64;
    loop {
        let stale = store.stale_memories(tenant, batch.clamp(1, crate::MAX_PAGE_LIMIT)).await?;
        if stale.is_empty() {
            return Ok(done);
        }
        let embeddings = embed(stale.iter().map(|m| m.content.clone()).collect()).await?;
        if embeddings.len() != stale.len() {
            return Err(crate::StorageError::invalid(
                "embed",
                format!("returned {} embeddings for {} memories", embeddings.len(), stale.len()),
            ));
        }
        for (memory, embedding) in stale.iter().zip(embeddings) {
            store.update_embedding(tenant, memory.id, embedding, model, context).await?;
            done += 1;
        }
    }
}
