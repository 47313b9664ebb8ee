//! Stores that embed what arrives without a vector: [`Stores::with_resolver`] wraps a backend's documents
//! and memories so every surface (the command line, the HTTP server, a binding) embeds text the same way.
//!
//! The rule, once: when the recorded space (a collection's, or the memory space) names a provider, a chunk
//! or memory without a vector gets the embedding of its text, and a vector or hybrid search (or a recall)
//! with text but no vector gets the embedding of its text. A caller's vector wins and is still checked by
//! the store. A space that records no provider leaves text-only chunks and memories keyword-only, as
//! without a resolver; only a vector or hybrid search by text alone needs one, and is refused with
//! [`Uninitialized::EmbeddingProvider`](crate::Uninitialized::EmbeddingProvider).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::collection::{CollectionInfo, CollectionName};
use crate::document::{Chunk, StoredChunk, UpsertSummary};
use crate::embedder::{EmbedderResolver, check_embedder, embed_missing, embed_one, embed_query};
use crate::embedding::{Embedding, EmbeddingSpace};
use crate::filter::Filter;
use crate::get::{FetchedChunk, GetRequest};
use crate::health::HealthReport;
use crate::memory::space::memories;
use crate::memory::{
    AuditEntry, ChangeContext, ExpireMode, ListMemories, Memory, MemoryStore, NewMemory, RecallHit, RecallRequest,
    RememberOptions, RememberOutcome, Scope,
};
use crate::search::{SearchHit, SearchMode, SearchRequest};
use crate::store::{DocumentStore, ListRequest, MigrationInfo};
use crate::stores::Stores;

impl Stores {
    /// These stores with `resolver` embedding what arrives without a vector (the module's rule); sessions
    /// and tasks are unchanged.
    #[must_use]
    pub fn with_resolver(self, resolver: Arc<dyn EmbedderResolver>) -> Stores {
        Stores {
            documents: Arc::new(EmbeddingDocuments { inner: self.documents, resolver: resolver.clone() }),
            memories: Arc::new(EmbeddingMemories { inner: self.memories, resolver }),
            sessions: self.sessions,
            tasks: self.tasks,
        }
    }
}

/// Whether a search request asks for a vector it does not carry, with text to embed.
pub fn needs_query_embedding(request: &SearchRequest) -> bool {
    request.mode != SearchMode::Keyword && request.embedding.is_none() && request.text.is_some()
}

/// A [`DocumentStore`] that embeds text-only chunks and query text (see the module).
#[derive(Debug)]
struct EmbeddingDocuments {
    inner: Arc<dyn DocumentStore>,
    resolver: Arc<dyn EmbedderResolver>,
}

#[async_trait]
impl DocumentStore for EmbeddingDocuments {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
    async fn initialize(&self) -> crate::Result<()> {
        self.inner.initialize().await
    }
    async fn migrations(&self) -> crate::Result<Vec<MigrationInfo>> {
        self.inner.migrations().await
    }
    async fn migrate_up(&self, to: Option<u32>) -> crate::Result<Vec<MigrationInfo>> {
        self.inner.migrate_up(to).await
    }
    async fn migrate_down(&self, to: u32) -> crate::Result<Vec<MigrationInfo>> {
        self.inner.migrate_down(to).await
    }
    async fn create_collection(
        &self,
        name: &CollectionName,
        space: Option<&EmbeddingSpace>,
    ) -> crate::Result<CollectionInfo> {
        self.inner.create_collection(name, space).await
    }
    async fn list_collections(&self) -> crate::Result<Vec<CollectionInfo>> {
        self.inner.list_collections().await
    }
    async fn collection(&self, name: &CollectionName) -> crate::Result<Option<CollectionInfo>> {
        self.inner.collection(name).await
    }
    async fn drop_collection(&self, name: &CollectionName) -> crate::Result<bool> {
        self.inner.drop_collection(name).await
    }
    async fn embedding_space(&self, collection: &CollectionName) -> crate::Result<Option<EmbeddingSpace>> {
        self.inner.embedding_space(collection).await
    }
    async fn set_embedding_space(&self, collection: &CollectionName, space: &EmbeddingSpace) -> crate::Result<()> {
        self.inner.set_embedding_space(collection, space).await
    }
    async fn validate_embedding_space(&self, collection: &CollectionName, space: &EmbeddingSpace) -> crate::Result<()> {
        self.inner.validate_embedding_space(collection, space).await
    }
    async fn set_bm25_params(&self, collection: &CollectionName, params: crate::Bm25Params) -> crate::Result<()> {
        self.inner.set_bm25_params(collection, params).await
    }
    async fn upsert(&self, collection: &CollectionName, mut chunks: Vec<Chunk>) -> crate::Result<UpsertSummary> {
        if chunks.iter().any(|chunk| chunk.embedding.is_none())
            && let Some(space) = self.inner.embedding_space(collection).await?
            && space.names_provider()
        {
            let embedder = self.resolver.resolve(&space).await?;
            embed_missing(embedder.as_ref(), collection, &space, &mut chunks).await?;
        }
        self.inner.upsert(collection, chunks).await
    }
    async fn begin_bulk_load(&self, collection: &CollectionName) -> crate::Result<bool> {
        self.inner.begin_bulk_load(collection).await
    }
    // Re-embedding writes vectors its caller computed, so the wrapper passes it through; without these
    // forwards the trait's refusing defaults would answer for a backend that re-embeds.
    async fn begin_reembed(
        &self,
        collection: &CollectionName,
        space: &EmbeddingSpace,
    ) -> crate::Result<crate::ReembedProgress> {
        self.inner.begin_reembed(collection, space).await
    }
    async fn reembed_progress(&self, collection: &CollectionName) -> crate::Result<Option<crate::ReembedProgress>> {
        self.inner.reembed_progress(collection).await
    }
    async fn reembed_pending(
        &self,
        collection: &CollectionName,
        limit: usize,
    ) -> crate::Result<Vec<crate::PendingText>> {
        self.inner.reembed_pending(collection, limit).await
    }
    async fn stage_vectors(
        &self,
        collection: &CollectionName,
        vectors: Vec<crate::StagedVector>,
    ) -> crate::Result<u64> {
        self.inner.stage_vectors(collection, vectors).await
    }
    async fn switch_reembed(&self, collection: &CollectionName) -> crate::Result<crate::ReembedProgress> {
        self.inner.switch_reembed(collection).await
    }
    async fn abandon_reembed(&self, collection: &CollectionName) -> crate::Result<bool> {
        self.inner.abandon_reembed(collection).await
    }
    async fn finish_bulk_load(&self, collection: &CollectionName) -> crate::Result<()> {
        self.inner.finish_bulk_load(collection).await
    }
    async fn get(&self, collection: &CollectionName, id: &str) -> crate::Result<Option<StoredChunk>> {
        self.inner.get(collection, id).await
    }
    async fn get_many(&self, collection: &CollectionName, request: &GetRequest) -> crate::Result<Vec<FetchedChunk>> {
        self.inner.get_many(collection, request).await
    }
    async fn list(&self, collection: &CollectionName, request: &ListRequest) -> crate::Result<Vec<StoredChunk>> {
        self.inner.list(collection, request).await
    }
    async fn count(&self, collection: &CollectionName, filter: Option<&Filter>) -> crate::Result<u64> {
        self.inner.count(collection, filter).await
    }
    async fn search(&self, collection: &CollectionName, request: &SearchRequest) -> crate::Result<Vec<SearchHit>> {
        if !needs_query_embedding(request) {
            return self.inner.search(collection, request).await;
        }
        // No space at all is the store's own error (the collection, or its space, is missing).
        let Some(space) = self.inner.embedding_space(collection).await? else {
            return self.inner.search(collection, request).await;
        };
        let embedder = self.resolver.resolve(&space).await?;
        let mut request = request.clone();
        embed_query(embedder.as_ref(), collection, &space, &mut request).await?;
        self.inner.search(collection, &request).await
    }
    async fn delete_ids(&self, collection: &CollectionName, ids: &[String]) -> crate::Result<u64> {
        self.inner.delete_ids(collection, ids).await
    }
    async fn delete_where(&self, collection: &CollectionName, filter: &Filter) -> crate::Result<u64> {
        self.inner.delete_where(collection, filter).await
    }
    async fn delete_all(&self, collection: &CollectionName) -> crate::Result<u64> {
        self.inner.delete_all(collection).await
    }
    async fn reset(&self, collection: &CollectionName) -> crate::Result<()> {
        self.inner.reset(collection).await
    }
    async fn health(&self) -> crate::Result<HealthReport> {
        self.inner.health().await
    }
    async fn close(&self) -> crate::Result<()> {
        self.inner.close().await
    }
}

/// A [`MemoryStore`] that embeds text-only memories and recall text (see the module).
#[derive(Debug)]
struct EmbeddingMemories {
    inner: Arc<dyn MemoryStore>,
    resolver: Arc<dyn EmbedderResolver>,
}

impl EmbeddingMemories {
    /// The embedding of `text` in the memory space, when that space names a provider.
    async fn embed(&self, text: &str) -> crate::Result<Option<(Embedding, String)>> {
        let Some(space) = self.inner.memory_embedding_space().await? else {
            return Ok(None);
        };
        let Some(model) = space.model.clone().filter(|_| space.names_provider()) else {
            return Ok(None);
        };
        let embedder = self.resolver.resolve(&space).await?;
        check_embedder(&memories(), &space, embedder.as_ref())?;
        Ok(Some((embed_one(embedder.as_ref(), text).await?, model)))
    }

    async fn embed_new(&self, memory: &mut NewMemory) -> crate::Result<()> {
        if memory.embedding.is_none()
            && let Some((vector, model)) = self.embed(&memory.content).await?
        {
            memory.embedding = Some(vector);
            memory.embedding_model = Some(model);
        }
        Ok(())
    }
}

#[async_trait]
impl MemoryStore for EmbeddingMemories {
    async fn memory_embedding_space(&self) -> crate::Result<Option<EmbeddingSpace>> {
        self.inner.memory_embedding_space().await
    }
    async fn set_memory_embedding_space(&self, space: &EmbeddingSpace) -> crate::Result<()> {
        self.inner.set_memory_embedding_space(space).await
    }
    async fn replace_memory_embedding_space(&self, space: &EmbeddingSpace) -> crate::Result<u64> {
        self.inner.replace_memory_embedding_space(space).await
    }
    async fn remember(&self, mut memory: NewMemory, options: &RememberOptions) -> crate::Result<RememberOutcome> {
        self.embed_new(&mut memory).await?;
        self.inner.remember(memory, options).await
    }
    async fn recall(&self, request: &RecallRequest) -> crate::Result<Vec<RecallHit>> {
        if request.embedding.is_none()
            && let Some(text) = request.text.as_deref()
            && let Some((vector, _)) = self.embed(text).await?
        {
            let mut request = request.clone();
            request.embedding = Some(vector);
            return self.inner.recall(&request).await;
        }
        self.inner.recall(request).await
    }
    async fn get_memory(&self, tenant: &str, id: Uuid) -> crate::Result<Option<Memory>> {
        self.inner.get_memory(tenant, id).await
    }
    async fn get_memory_by_key(&self, scope: &Scope, key: &str) -> crate::Result<Option<Memory>> {
        self.inner.get_memory_by_key(scope, key).await
    }
    async fn list_memories(&self, request: &ListMemories) -> crate::Result<Vec<Memory>> {
        self.inner.list_memories(request).await
    }
    async fn supersede(
        &self,
        tenant: &str,
        old_id: Uuid,
        mut replacement: NewMemory,
        context: &ChangeContext,
    ) -> crate::Result<(Memory, Memory)> {
        self.embed_new(&mut replacement).await?;
        self.inner.supersede(tenant, old_id, replacement, context).await
    }
    async fn dispute(&self, tenant: &str, id: Uuid, context: &ChangeContext) -> crate::Result<Memory> {
        self.inner.dispute(tenant, id, context).await
    }
    async fn archive(&self, tenant: &str, id: Uuid, context: &ChangeContext) -> crate::Result<Memory> {
        self.inner.archive(tenant, id, context).await
    }
    async fn forget(&self, tenant: &str, id: Uuid, context: &ChangeContext) -> crate::Result<bool> {
        self.inner.forget(tenant, id, context).await
    }
    async fn expire(
        &self,
        tenant: &str,
        now: DateTime<Utc>,
        mode: ExpireMode,
        context: &ChangeContext,
    ) -> crate::Result<u64> {
        self.inner.expire(tenant, now, mode, context).await
    }
    async fn mark_stale(&self, tenant: &str, current_model: &str) -> crate::Result<u64> {
        self.inner.mark_stale(tenant, current_model).await
    }
    // Re-embedding writes vectors its caller computed: passed through unchanged.
    async fn begin_memory_reembed(&self, space: &EmbeddingSpace) -> crate::Result<crate::ReembedProgress> {
        self.inner.begin_memory_reembed(space).await
    }
    async fn memory_reembed_progress(&self) -> crate::Result<Option<crate::ReembedProgress>> {
        self.inner.memory_reembed_progress().await
    }
    async fn memory_reembed_pending(&self, limit: usize) -> crate::Result<Vec<crate::PendingText>> {
        self.inner.memory_reembed_pending(limit).await
    }
    async fn stage_memory_vectors(&self, vectors: Vec<crate::StagedVector>) -> crate::Result<u64> {
        self.inner.stage_memory_vectors(vectors).await
    }
    async fn switch_memory_reembed(&self) -> crate::Result<crate::ReembedProgress> {
        self.inner.switch_memory_reembed().await
    }
    async fn abandon_memory_reembed(&self) -> crate::Result<bool> {
        self.inner.abandon_memory_reembed().await
    }
    async fn stale_memories(&self, tenant: &str, limit: usize) -> crate::Result<Vec<Memory>> {
        self.inner.stale_memories(tenant, limit).await
    }
    async fn update_embedding(
        &self,
        tenant: &str,
        id: Uuid,
        embedding: Embedding,
        model: &str,
        context: &ChangeContext,
    ) -> crate::Result<Memory> {
        self.inner.update_embedding(tenant, id, embedding, model, context).await
    }
    async fn purge_stale(&self, tenant: &str, context: &ChangeContext) -> crate::Result<u64> {
        self.inner.purge_stale(tenant, context).await
    }
    async fn history(&self, tenant: &str, id: Uuid) -> crate::Result<Vec<AuditEntry>> {
        self.inner.history(tenant, id).await
    }
    async fn as_of(&self, tenant: &str, id: Uuid, at: DateTime<Utc>) -> crate::Result<Option<Memory>> {
        self.inner.as_of(tenant, id, at).await
    }
}
