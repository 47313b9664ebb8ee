//! `/tenants/{tenant}/memories/...` and `/memories/embedding-space`: agent memory — remember, recall, get, list, supersede, dispute, archive, forget, history, as-of.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::Value;
use storage_core::memory::{
    DEFAULT_DEDUP_THRESHOLD, ListMemories, Memory, RecallRequest, RememberAction, RememberOptions, RememberOutcome,
    Scope,
};
use storage_core::views::{Forgotten, MemoryHistory, MemoryList, MemorySpaceView, Recalled, Superseded};
use storage_core::{EmbeddingSpace, Filter, StorageError};
use uuid::Uuid;

use crate::dto::memory::{AsOfParams, ChangeBody, ListMemoriesParams, MemoryBody, change_context};
use crate::dto::path::{MemoryIdPath, TenantPath};
use crate::dto::recall::RecallBody;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiJsonOrDefault, ApiPath, ApiQuery};
use crate::state::{AppState, comma_list, comma_strings};

fn missing(tenant: &str, id: Uuid) -> ApiError {
    ApiError::not_found(format!("memory {id} in tenant `{tenant}` was not found"))
}

/// Remembers: inserts a memory, or updates the one with the same key, or (dedup) a near-duplicate.
/// 201 when a memory was created, 200 when one was updated.
#[utoipa::path(post, path = "/tenants/{tenant}/memories", tag = "memories", request_body = MemoryBody,
    params(TenantPath),
    responses(
        (status = 201, description = "A new memory", body = RememberOutcome),
        (status = 200, description = "An existing memory was updated", body = RememberOutcome)))]
pub(crate) async fn remember(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiJson(body): ApiJson<MemoryBody>,
) -> ApiResult<(StatusCode, Json<RememberOutcome>)> {
    let dedup_threshold =
        if body.dedup == Some(false) { None } else { Some(body.dedup_threshold.unwrap_or(DEFAULT_DEDUP_THRESHOLD)) };
    let (memory, context) = body.into_new(&tenant);
    let outcome = state.stores.memories.remember(memory, &RememberOptions { dedup_threshold, context }).await?;
    let status = if outcome.action == RememberAction::Created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(outcome)))
}

/// Hybrid recall, ranked by similarity, keywords, recency and importance. Bumps the access counts of what it returns.
#[utoipa::path(post, path = "/tenants/{tenant}/memories/recall", tag = "memories", request_body = RecallBody,
    params(TenantPath),
    responses((status = 200, description = "Best first", body = Recalled)))]
pub(crate) async fn recall(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiJson(body): ApiJson<RecallBody>,
) -> ApiResult<Json<Recalled>> {
    let filter = body.filter.map(|map| Filter::from_json(&Value::Object(map)).map_err(|e| e.within("where")));
    let mut request = RecallRequest::new(body.scope.in_tenant(&tenant));
    request.text = body.text;
    request.embedding = body.embedding;
    request.kinds = body.kinds;
    request.tags = body.tags;
    if !body.statuses.is_empty() {
        request.statuses = body.statuses;
    }
    request.tiers = body.tiers;
    request.filter = filter.transpose()?;
    request.limit = body.limit;
    request.candidates = body.candidates;
    if let Some(weights) = body.weights {
        request.weights = weights.into();
    }
    request.now = body.now;
    request.validate()?;
    let started = std::time::Instant::now();
    let hits = state.stores.memories.recall(&request).await?;
    Ok(Json(Recalled::new(started.elapsed().as_secs_f64() * 1000.0, hits)))
}

/// A page of the tenant's memories, newest first (every status unless `statuses` says otherwise).
#[utoipa::path(get, path = "/tenants/{tenant}/memories", tag = "memories",
    params(TenantPath, ListMemoriesParams),
    responses((status = 200, description = "Newest first", body = MemoryList)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiQuery(params): ApiQuery<ListMemoriesParams>,
) -> ApiResult<Json<MemoryList>> {
    let scope = Scope { tenant, agent: params.agent, user: params.user, conversation: params.conversation };
    scope.validate()?;
    let request = ListMemories {
        scope,
        kinds: comma_strings(params.kinds.as_deref()),
        statuses: comma_list("statuses", params.statuses.as_deref())?,
        limit: storage_core::page_limit(params.limit, 50)?,
        offset: params.offset.unwrap_or(0),
    };
    let memories = state.stores.memories.list_memories(&request).await?;
    Ok(Json(MemoryList::new(memories)))
}

/// One memory (a plain read: it does not count as an access).
#[utoipa::path(get, path = "/tenants/{tenant}/memories/{id}", tag = "memories",
    params(TenantPath, MemoryIdPath),
    responses((status = 200, description = "The memory", body = Memory)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiPath(id): ApiPath<MemoryIdPath>,
) -> ApiResult<Json<Memory>> {
    match state.stores.memories.get_memory(&tenant, id).await? {
        Some(memory) => Ok(Json(memory)),
        None => Err(missing(&tenant, id)),
    }
}

/// Replaces a memory: the old one becomes `superseded`, the new one records what it replaced.
#[utoipa::path(post, path = "/tenants/{tenant}/memories/{id}/supersede", tag = "memories", request_body = MemoryBody,
    params(TenantPath, MemoryIdPath),
    responses((status = 200, description = "The old memory and its replacement", body = Superseded)))]
pub(crate) async fn supersede(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiPath(id): ApiPath<MemoryIdPath>,
    ApiJson(body): ApiJson<MemoryBody>,
) -> ApiResult<Json<Superseded>> {
    if body.dedup_threshold.is_some() || body.dedup.is_some() {
        return Err(StorageError::invalid("dedup_threshold", "applies to remember only, not to supersede").into());
    }
    let (replacement, context) = body.into_new(&tenant);
    let (old, new) = state.stores.memories.supersede(&tenant, id, replacement, &context).await?;
    Ok(Json(Superseded { old, new }))
}

/// Marks a memory disputed.
#[utoipa::path(post, path = "/tenants/{tenant}/memories/{id}/dispute", tag = "memories", request_body = Option<ChangeBody>,
    params(TenantPath, MemoryIdPath),
    responses((status = 200, description = "The memory, disputed", body = Memory)))]
pub(crate) async fn dispute(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiPath(id): ApiPath<MemoryIdPath>,
    ApiJsonOrDefault(body): ApiJsonOrDefault<ChangeBody>,
) -> ApiResult<Json<Memory>> {
    let context = change_context(body.actor, body.reason);
    Ok(Json(state.stores.memories.dispute(&tenant, id, &context).await?))
}

/// Marks a memory archived.
#[utoipa::path(post, path = "/tenants/{tenant}/memories/{id}/archive", tag = "memories", request_body = Option<ChangeBody>,
    params(TenantPath, MemoryIdPath),
    responses((status = 200, description = "The memory, archived", body = Memory)))]
pub(crate) async fn archive(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiPath(id): ApiPath<MemoryIdPath>,
    ApiJsonOrDefault(body): ApiJsonOrDefault<ChangeBody>,
) -> ApiResult<Json<Memory>> {
    let context = change_context(body.actor, body.reason);
    Ok(Json(state.stores.memories.archive(&tenant, id, &context).await?))
}

/// Hard-deletes a memory; its audit history stays.
#[utoipa::path(delete, path = "/tenants/{tenant}/memories/{id}", tag = "memories",
    params(TenantPath, MemoryIdPath, ChangeBody),
    responses((status = 200, description = "Whether it existed", body = Forgotten)))]
pub(crate) async fn forget(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiPath(id): ApiPath<MemoryIdPath>,
    ApiQuery(params): ApiQuery<ChangeBody>,
) -> ApiResult<Json<Forgotten>> {
    let context = change_context(params.actor, params.reason);
    let forgotten = state.stores.memories.forget(&tenant, id, &context).await?;
    Ok(Json(Forgotten { id, forgotten }))
}

/// The audit log of one memory, oldest first (also after it was forgotten).
#[utoipa::path(get, path = "/tenants/{tenant}/memories/{id}/history", tag = "memories",
    params(TenantPath, MemoryIdPath),
    responses((status = 200, description = "Oldest first", body = MemoryHistory)))]
pub(crate) async fn history(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiPath(id): ApiPath<MemoryIdPath>,
) -> ApiResult<Json<MemoryHistory>> {
    let entries = state.stores.memories.history(&tenant, id).await?;
    Ok(Json(MemoryHistory { id, entries }))
}

/// The memory as it was at `at`, from the audit log; 404 before it existed or after it was deleted.
#[utoipa::path(get, path = "/tenants/{tenant}/memories/{id}/as-of", tag = "memories",
    params(TenantPath, MemoryIdPath, AsOfParams),
    responses((status = 200, description = "The memory then", body = Memory)))]
pub(crate) async fn as_of(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiPath(id): ApiPath<MemoryIdPath>,
    ApiQuery(params): ApiQuery<AsOfParams>,
) -> ApiResult<Json<Memory>> {
    match state.stores.memories.as_of(&tenant, id, params.at).await? {
        Some(memory) => Ok(Json(memory)),
        None => Err(ApiError::not_found(format!("memory {id} in tenant `{tenant}` did not exist at {}", params.at))),
    }
}

/// The embedding space memory embeddings belong to (null until one is recorded).
#[utoipa::path(get, path = "/memories/embedding-space", tag = "memories",
    responses((status = 200, description = "The recorded space", body = MemorySpaceView)))]
pub(crate) async fn get_space(State(state): State<AppState>) -> ApiResult<Json<MemorySpaceView>> {
    let space = state.stores.memories.memory_embedding_space().await?;
    Ok(Json(MemorySpaceView { embedding_space: space, stale_marked: None }))
}

/// Records the memory embedding space; the same space again is a no-op, a different one is refused (409).
#[utoipa::path(put, path = "/memories/embedding-space", tag = "memories", request_body = EmbeddingSpace,
    responses((status = 200, description = "The recorded space", body = MemorySpaceView)))]
pub(crate) async fn put_space(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<EmbeddingSpace>,
) -> ApiResult<Json<MemorySpaceView>> {
    let space = body;
    space.validate().map_err(|e| e.within("embedding"))?;
    // No route switches spaces, so a refusal names no remedy (the collection one would be wrong here).
    state.stores.memories.set_memory_embedding_space(&space).await.map_err(|e| ApiError::storage(&e, None))?;
    Ok(Json(MemorySpaceView { embedding_space: Some(space), stale_marked: None }))
}
