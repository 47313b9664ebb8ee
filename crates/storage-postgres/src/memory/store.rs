//! `impl MemoryStore for PostgresStore`: validates with core, calls the memory SQL, maps errors by cause;
//! no SQL here.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use storage_core::memory::{
    AuditEntry, ChangeContext, ExpireMode, ListMemories, Memory, MemoryStatus, MemoryStore, NewMemory, RecallHit,
    RecallRequest, RememberOptions, RememberOutcome, Scope, check_memory_embedding, check_model_name,
};
use storage_core::session::check_identifier;
use storage_core::{Embedding, EmbeddingSpace, PendingText, ReembedProgress, StagedVector};
use uuid::Uuid;

use super::space::{self, RowLock};
use super::{audit, change, read, recall, remember, restage};
use crate::clock;
use crate::store::PostgresStore;

#[async_trait]
impl MemoryStore for PostgresStore {
    async fn memory_embedding_space(&self) -> storage_core::Result<Option<EmbeddingSpace>> {
        space::read(self.connection(), RowLock::None).await.map_err(self.failure("reading the memory embedding space"))
    }

    async fn set_memory_embedding_space(&self, embedding_space: &EmbeddingSpace) -> storage_core::Result<()> {
        embedding_space.validate()?;
        space::set(self.connection(), embedding_space, self.installed_pgvector(), self.hnsw_params(), clock::now())
            .await
            .map_err(self.failure("recording the memory embedding space"))
    }

    async fn replace_memory_embedding_space(&self, embedding_space: &EmbeddingSpace) -> storage_core::Result<u64> {
        embedding_space.validate()?;
        space::replace(self.connection(), embedding_space, self.installed_pgvector(), self.hnsw_params(), clock::now())
            .await
            .map_err(self.failure("replacing the memory embedding space"))
    }

    async fn begin_memory_reembed(&self, embedding_space: &EmbeddingSpace) -> storage_core::Result<ReembedProgress> {
        embedding_space.validate()?;
        restage::begin(self.connection(), embedding_space).await.map_err(self.failure("begin memory re-embedding"))
    }

    async fn memory_reembed_progress(&self) -> storage_core::Result<Option<ReembedProgress>> {
        restage::progress(self.connection()).await.map_err(self.failure("memory re-embedding progress"))
    }

    async fn memory_reembed_pending(&self, limit: usize) -> storage_core::Result<Vec<PendingText>> {
        restage::pending(self.connection(), limit).await.map_err(self.failure("memories pending re-embedding"))
    }

    async fn stage_memory_vectors(&self, vectors: Vec<StagedVector>) -> storage_core::Result<u64> {
        restage::stage(self.connection(), vectors).await.map_err(self.failure("stage re-embedded memory vectors"))
    }

    async fn switch_memory_reembed(&self) -> storage_core::Result<ReembedProgress> {
        restage::switch(self.connection(), self.installed_pgvector(), self.hnsw_params(), clock::now())
            .await
            .map_err(self.failure("switch the memories to the re-embedded space"))
    }

    async fn abandon_memory_reembed(&self) -> storage_core::Result<bool> {
        restage::abandon(self.connection()).await.map_err(self.failure("abandon memory re-embedding"))
    }

    async fn remember(&self, memory: NewMemory, options: &RememberOptions) -> storage_core::Result<RememberOutcome> {
        memory.validate()?;
        options.validate()?;
        remember::remember(self.connection(), self.text_language(), memory, options, clock::now())
            .await
            .map_err(self.failure("remember"))
    }

    async fn recall(&self, request: &RecallRequest) -> storage_core::Result<Vec<RecallHit>> {
        request.validate()?;
        let recorded = match &request.embedding {
            Some(embedding) => {
                let recorded = space::read(self.connection(), RowLock::None).await.map_err(self.failure("recall"))?;
                check_memory_embedding(recorded.as_ref(), "embedding", embedding)?;
                recorded
            }
            None => None,
        };
        let settings = self.vector_leg_settings();
        match recall::recall(
            self.connection(),
            &settings,
            self.text_language(),
            request,
            recorded.as_ref(),
            clock::now(),
        )
        .await
        {
            Ok(hits) => Ok(hits),
            // `reembed --memories` may switch the space between reading it and recalling: the recall then fails
            // in pgvector's words. Read the space again, so a changed one answers as any mismatch does.
            Err(error) if request.embedding.is_some() => {
                let error = self.failure("recall")(error);
                let fresh = space::read(self.connection(), RowLock::None).await.map_err(self.failure("recall"))?;
                if let Some(embedding) = &request.embedding {
                    check_memory_embedding(fresh.as_ref(), "embedding", embedding)?;
                }
                Err(error)
            }
            Err(error) => Err(self.failure("recall")(error)),
        }
    }

    async fn get_memory(&self, tenant: &str, id: Uuid) -> storage_core::Result<Option<Memory>> {
        check_identifier("tenant", tenant)?;
        read::get(self.connection(), tenant, id).await.map_err(self.failure("get_memory"))
    }

    async fn get_memory_by_key(&self, scope: &Scope, key: &str) -> storage_core::Result<Option<Memory>> {
        scope.validate()?;
        read::get_by_key(self.connection(), scope, key).await.map_err(self.failure("get_memory_by_key"))
    }

    async fn list_memories(&self, request: &ListMemories) -> storage_core::Result<Vec<Memory>> {
        request.validate()?;
        read::list(self.connection(), request).await.map_err(self.failure("list_memories"))
    }

    async fn supersede(
        &self,
        tenant: &str,
        old_id: Uuid,
        replacement: NewMemory,
        context: &ChangeContext,
    ) -> storage_core::Result<(Memory, Memory)> {
        check_identifier("tenant", tenant)?;
        replacement.validate()?;
        remember::supersede(self.connection(), self.text_language(), tenant, old_id, replacement, context, clock::now())
            .await
            .map_err(self.failure("supersede"))
    }

    async fn dispute(&self, tenant: &str, id: Uuid, context: &ChangeContext) -> storage_core::Result<Memory> {
        check_identifier("tenant", tenant)?;
        change::set_status(self.connection(), tenant, id, MemoryStatus::Disputed, context, clock::now())
            .await
            .map_err(self.failure("dispute"))
    }

    async fn archive(&self, tenant: &str, id: Uuid, context: &ChangeContext) -> storage_core::Result<Memory> {
        check_identifier("tenant", tenant)?;
        change::set_status(self.connection(), tenant, id, MemoryStatus::Archived, context, clock::now())
            .await
            .map_err(self.failure("archive"))
    }

    async fn forget(&self, tenant: &str, id: Uuid, context: &ChangeContext) -> storage_core::Result<bool> {
        check_identifier("tenant", tenant)?;
        change::forget(self.connection(), tenant, id, context, clock::now()).await.map_err(self.failure("forget"))
    }

    async fn expire(
        &self,
        tenant: &str,
        now: DateTime<Utc>,
        mode: ExpireMode,
        context: &ChangeContext,
    ) -> storage_core::Result<u64> {
        check_identifier("tenant", tenant)?;
        change::expire(self.connection(), tenant, now, mode, context, clock::now())
            .await
            .map_err(self.failure("expire"))
    }

    async fn mark_stale(&self, tenant: &str, current_model: &str) -> storage_core::Result<u64> {
        check_identifier("tenant", tenant)?;
        check_model_name("model", current_model)?;
        change::mark_stale(self.connection(), tenant, current_model, clock::now())
            .await
            .map_err(self.failure("mark_stale"))
    }

    async fn stale_memories(&self, tenant: &str, limit: usize) -> storage_core::Result<Vec<Memory>> {
        check_identifier("tenant", tenant)?;
        storage_core::check_page_limit("limit", limit)?;
        read::stale(self.connection(), tenant, limit).await.map_err(self.failure("stale_memories"))
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
        check_model_name("model", model)?;
        change::update_embedding(self.connection(), tenant, id, &embedding, model, context, clock::now())
            .await
            .map_err(self.failure("update_embedding"))
    }

    async fn purge_stale(&self, tenant: &str, context: &ChangeContext) -> storage_core::Result<u64> {
        check_identifier("tenant", tenant)?;
        change::purge_stale(self.connection(), tenant, context, clock::now()).await.map_err(self.failure("purge_stale"))
    }

    async fn history(&self, tenant: &str, id: Uuid) -> storage_core::Result<Vec<AuditEntry>> {
        check_identifier("tenant", tenant)?;
        audit::history(self.connection(), tenant, id).await.map_err(self.failure("history"))
    }

    async fn as_of(&self, tenant: &str, id: Uuid, at: DateTime<Utc>) -> storage_core::Result<Option<Memory>> {
        check_identifier("tenant", tenant)?;
        audit::as_of(self.connection(), tenant, id, at).await.map_err(self.failure("as_of"))
    }
}

#[cfg(feature = "bench")]
impl PostgresStore {
    /// The statements `recall(request)` sends when it returns `hit_ids`, judged at `now`: the benchmark
    /// runs the same SQL through `pgbench`.
    pub(crate) async fn bench_recall_statements(
        &self,
        request: &RecallRequest,
        hit_ids: Vec<Uuid>,
        now: DateTime<Utc>,
    ) -> storage_core::Result<crate::bench::SearchSql> {
        request.validate()?;
        let space_read = request.embedding.as_ref().map(|_| space::read_statement("bs_memory_space", RowLock::None));
        let recorded = space::read(self.connection(), RowLock::None).await.map_err(self.failure("recall"))?;
        let settings = self.vector_leg_settings();
        let (statement, overrides) =
            recall::candidates_statement(&settings, self.text_language(), request, recorded.as_ref(), now);
        let bump = (!hit_ids.is_empty()).then(|| recall::bump_statement(&request.scope.tenant, hit_ids, now));
        Ok(crate::bench::SearchSql { before: space_read, settings: overrides.statement(), statement, after: bump })
    }
}
