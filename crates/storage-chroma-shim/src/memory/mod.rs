//! `impl MemoryStore for EmbeddedStore`: agent memories in SQLite, recall ranked by core. No SQL here.

mod audit;
mod lifecycle;
mod recall;
mod remember;
mod restage;
mod rows;
mod space;
mod vectors;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use storage_core::memory::{
    AuditEntry, ChangeContext, ExpireMode, ListMemories, Memory, MemoryStatus, MemoryStore, NewMemory, RecallHit,
    RecallRequest, RememberOptions, RememberOutcome, Scope,
};
use storage_core::session::check_identifier;
use storage_core::{Embedding, EmbeddingSpace, PendingText, ReembedProgress, StagedVector, StorageError};
use uuid::Uuid;

use crate::store::EmbeddedStore;

/// The error for a memory id that does not exist in the tenant (or belongs to another).
fn not_found(tenant: &str, id: Uuid) -> StorageError {
    StorageError::NotFound { what: format!("memory {id} in tenant `{tenant}`") }
}

#[async_trait]
impl MemoryStore for EmbeddedStore {
    async fn memory_embedding_space(&self) -> storage_core::Result<Option<EmbeddingSpace>> {
        let db = self.db().await?;
        space::load(&db.conn).await.map_err(db.err("memory embedding space"))
    }

    async fn set_memory_embedding_space(&self, space: &EmbeddingSpace) -> storage_core::Result<()> {
        space::set(self.db().await?, space).await
    }

    async fn replace_memory_embedding_space(&self, space: &EmbeddingSpace) -> storage_core::Result<u64> {
        space::replace(self.db().await?, space).await
    }

    async fn begin_memory_reembed(&self, space: &EmbeddingSpace) -> storage_core::Result<ReembedProgress> {
        restage::begin(self.db().await?, space).await
    }

    async fn memory_reembed_progress(&self) -> storage_core::Result<Option<ReembedProgress>> {
        restage::progress(self.db().await?).await
    }

    async fn memory_reembed_pending(&self, limit: usize) -> storage_core::Result<Vec<PendingText>> {
        restage::pending(self.db().await?, limit).await
    }

    async fn stage_memory_vectors(&self, vectors: Vec<StagedVector>) -> storage_core::Result<u64> {
        restage::stage(self.db().await?, vectors).await
    }

    async fn switch_memory_reembed(&self) -> storage_core::Result<ReembedProgress> {
        restage::switch(self.db().await?).await
    }

    async fn abandon_memory_reembed(&self) -> storage_core::Result<bool> {
        restage::abandon(self.db().await?).await
    }

    async fn remember(&self, memory: NewMemory, options: &RememberOptions) -> storage_core::Result<RememberOutcome> {
        remember::remember(self.db().await?, memory, options).await
    }

    async fn recall(&self, request: &RecallRequest) -> storage_core::Result<Vec<RecallHit>> {
        recall::recall(&self.memory_vector_context(self.db().await?), request, self.language()).await
    }

    async fn get_memory(&self, tenant: &str, id: Uuid) -> storage_core::Result<Option<Memory>> {
        check_identifier("tenant", tenant)?;
        lifecycle::get(self.db().await?, tenant, id).await
    }

    async fn get_memory_by_key(&self, scope: &Scope, key: &str) -> storage_core::Result<Option<Memory>> {
        lifecycle::get_by_key(self.db().await?, scope, key).await
    }

    async fn list_memories(&self, request: &ListMemories) -> storage_core::Result<Vec<Memory>> {
        request.validate()?;
        lifecycle::list(self.db().await?, request).await
    }

    async fn supersede(
        &self,
        tenant: &str,
        old_id: Uuid,
        replacement: NewMemory,
        context: &ChangeContext,
    ) -> storage_core::Result<(Memory, Memory)> {
        check_identifier("tenant", tenant)?;
        remember::supersede(self.db().await?, tenant, old_id, replacement, context).await
    }

    async fn dispute(&self, tenant: &str, id: Uuid, context: &ChangeContext) -> storage_core::Result<Memory> {
        check_identifier("tenant", tenant)?;
        lifecycle::set_status(self.db().await?, tenant, id, MemoryStatus::Disputed, context).await
    }

    async fn archive(&self, tenant: &str, id: Uuid, context: &ChangeContext) -> storage_core::Result<Memory> {
        check_identifier("tenant", tenant)?;
        lifecycle::set_status(self.db().await?, tenant, id, MemoryStatus::Archived, context).await
    }

    async fn forget(&self, tenant: &str, id: Uuid, context: &ChangeContext) -> storage_core::Result<bool> {
        check_identifier("tenant", tenant)?;
        lifecycle::forget(self.db().await?, tenant, id, context).await
    }

    async fn expire(
        &self,
        tenant: &str,
        now: DateTime<Utc>,
        mode: ExpireMode,
        context: &ChangeContext,
    ) -> storage_core::Result<u64> {
        check_identifier("tenant", tenant)?;
        lifecycle::expire(self.db().await?, tenant, now, mode, context).await
    }

    async fn mark_stale(&self, tenant: &str, current_model: &str) -> storage_core::Result<u64> {
        check_identifier("tenant", tenant)?;
        space::mark_stale(self.db().await?, tenant, current_model).await
    }

    async fn stale_memories(&self, tenant: &str, limit: usize) -> storage_core::Result<Vec<Memory>> {
        check_identifier("tenant", tenant)?;
        storage_core::check_page_limit("limit", limit)?;
        space::stale(self.db().await?, tenant, limit).await
    }

    async fn update_embedding(
        &self,
        tenant: &str,
        id: Uuid,
        embedding: Embedding,
        model: &str,
        context: &ChangeContext,
    ) -> storage_core::Result<Memory> {
        check_identifier("tenant", tenant)?;
        space::update_embedding(self.db().await?, tenant, id, embedding, model, context).await
    }

    async fn purge_stale(&self, tenant: &str, context: &ChangeContext) -> storage_core::Result<u64> {
        check_identifier("tenant", tenant)?;
        space::purge(self.db().await?, tenant, context).await
    }

    async fn history(&self, tenant: &str, id: Uuid) -> storage_core::Result<Vec<AuditEntry>> {
        check_identifier("tenant", tenant)?;
        audit::history(self.db().await?, tenant, id).await
    }

    async fn as_of(&self, tenant: &str, id: Uuid, at: DateTime<Utc>) -> storage_core::Result<Option<Memory>> {
        check_identifier("tenant", tenant)?;
        audit::as_of(self.db().await?, tenant, id, at).await
    }
}
