//! `/collections/{collection}/...`: batch upsert, get one or many, delete by ids, by filter or all, query and count.

use std::time::Instant;

use axum::Json;
use axum::extract::State;
use serde_json::Value;
use storage_core::views::{Chunks, Count, Deleted, SearchResults};
use storage_core::{
    DocumentFilter, Embedding, Filter, GetRequest, Include, SearchInput, SearchRequest, StorageError, StoredChunk,
    check_id, hit_embeddings,
};

use crate::dto::documents::{CountParams, DeleteBody, FusionBody, GetBody, QueryBody, UpsertBody, Upserted};
use crate::dto::path::{ChunkPath, CollectionPath};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

/// Upserts a batch atomically: a JSON array of chunks, or `{"chunks": [...]}`. A repeated id keeps its
/// last occurrence; a chunk without an `id` gets a generated one; a wrong vector length fails the whole
/// batch (409 `incompatible_state`).
#[utoipa::path(post, path = "/collections/{collection}/documents", tag = "documents", request_body = UpsertBody,
    params(CollectionPath),
    responses((status = 200, description = "What the upsert did, and each chunk's id", body = Upserted)))]
pub(crate) async fn upsert(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<CollectionPath>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Upserted>> {
    let chunks = UpsertBody::parse(body)?;
    let ids = chunks.iter().map(|chunk| chunk.id.clone()).collect();
    let summary = state.stores.documents.upsert(&name, chunks).await?;
    Ok(Json(Upserted { summary, ids }))
}

/// Many chunks in one call, by ids (in their order, missing ones absent) and/or by filters (in id order),
/// paged by `limit` and `offset`, with the parts `include` names. Ids travel in the body, so any id is safe.
#[utoipa::path(post, path = "/collections/{collection}/get", tag = "documents", request_body = GetBody,
    params(CollectionPath),
    responses((status = 200, description = "The chunks", body = Chunks)))]
pub(crate) async fn get_many(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<CollectionPath>,
    ApiJson(body): ApiJson<GetBody>,
) -> ApiResult<Json<Chunks>> {
    let include = body.include.map(|names| Include::parse(&names)).transpose()?.unwrap_or_default();
    let request = GetRequest {
        ids: body.ids,
        filter: body.filter.map(parse_where_object).transpose()?,
        document_filter: body.where_document.map(parse_where_document).transpose()?,
        limit: body.limit,
        offset: body.offset,
        include,
    };
    request.validate()?;
    let chunks = state.stores.documents.get_many(&name, &request).await?;
    Ok(Json(Chunks { chunks }))
}

/// Deletes every chunk of the collection and keeps the collection and its embedding space.
#[utoipa::path(post, path = "/collections/{collection}/delete_all", tag = "documents",
    params(CollectionPath),
    responses((status = 200, description = "How many chunks went", body = Deleted)))]
pub(crate) async fn delete_all(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<CollectionPath>,
) -> ApiResult<Json<Deleted>> {
    let deleted = state.stores.documents.delete_all(&name).await?;
    Ok(Json(Deleted { deleted }))
}

/// One chunk, embedding included.
#[utoipa::path(get, path = "/collections/{collection}/documents/{id}", tag = "documents",
    params(CollectionPath, ChunkPath),
    responses((status = 200, description = "The chunk", body = StoredChunk)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<CollectionPath>,
    ApiPath(id): ApiPath<ChunkPath>,
) -> ApiResult<Json<StoredChunk>> {
    match state.stores.documents.get(&name, &id).await? {
        Some(chunk) => Ok(Json(chunk)),
        None => Err(ApiError::not_found(format!("chunk `{id}` in collection `{name}` was not found"))),
    }
}

/// Deletes chunks by id (`{"ids": [...]}`) or by metadata filter (`{"where": {...}}`); a filter that matches everything is refused.
#[utoipa::path(delete, path = "/collections/{collection}/documents", tag = "documents", request_body = DeleteBody,
    params(CollectionPath),
    responses((status = 200, description = "How many chunks went", body = Deleted)))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<CollectionPath>,
    ApiJson(body): ApiJson<DeleteBody>,
) -> ApiResult<Json<Deleted>> {
    let store = &state.stores.documents;
    let deleted = match (body.ids, body.filter) {
        (Some(ids), None) => {
            if ids.is_empty() {
                return Err(ApiError::invalid("ids: give at least one id"));
            }
            for (idx, id) in ids.iter().enumerate() {
                check_id(id, &format!("ids[{idx}]"))?;
            }
            store.delete_ids(&name, &ids).await?
        }
        (None, Some(filter)) => {
            let filter = parse_where_object(filter)?;
            filter.check_deletable().map_err(|error| match error {
                StorageError::InvalidInput { reason, .. } => ApiError::invalid(format!(
                    "where: {reason}; `POST /collections/{{collection}}/delete_all` deletes every chunk, \
                     `DELETE /collections/{{collection}}` drops the collection too"
                )),
                other => other.into(),
            })?;
            store.delete_where(&name, &filter).await?
        }
        _ => return Err(ApiError::invalid("give exactly one of `ids` and `where`")),
    };
    Ok(Json(Deleted { deleted }))
}

/// One query — vector, keyword or hybrid — answered in the shape of `brainstore search --json`.
#[utoipa::path(post, path = "/collections/{collection}/query", tag = "documents", request_body = QueryBody,
    params(CollectionPath),
    responses((status = 200, description = "Hits, best first", body = SearchResults)))]
pub(crate) async fn query(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<CollectionPath>,
    ApiJson(body): ApiJson<QueryBody>,
) -> ApiResult<Json<SearchResults>> {
    let include = body.include.as_deref().map(Include::parse_query).transpose()?.unwrap_or(Include::NOTHING);
    let request = search_request(&state, body)?;
    let store = state.stores.documents.as_ref();
    let started = Instant::now();
    let hits = store.search(&name, &request).await?;
    let took_ms = started.elapsed().as_secs_f64() * 1000.0;
    let embeddings = if include.embedding { Some(hit_embeddings(store, &name, &hits).await?) } else { None };
    let results = SearchResults::new(request.mode, took_ms, hits);
    Ok(Json(match embeddings {
        Some(embeddings) => results.with_embeddings(embeddings),
        None => results,
    }))
}

/// The request a query body asks for, with the server's `search:` defaults filling the gaps, as
/// `brainstore search` fills them from the same section.
fn search_request(state: &AppState, body: QueryBody) -> ApiResult<SearchRequest> {
    let embedding =
        body.embedding.map(|values| Embedding::from_f64(&values).map_err(|e| e.within("embedding"))).transpose()?;
    let filter = body.filter.map(parse_where_object);
    let document_filter = body.where_document.map(parse_where_document);
    let input = SearchInput {
        mode: body.mode,
        text: body.text,
        keyword_match: body.keyword_match,
        embedding,
        top_k: body.top_k,
        min_score: body.min_score,
        filter: filter.transpose()?,
        document_filter: document_filter.transpose()?,
        fusion: Some(fusion(state, body.fusion.unwrap_or_default())),
        explain: body.explain,
    };
    // Core checks everything that does not need the collection's space here, so a bad body is a 400 even
    // for a collection that does not exist.
    Ok(state.search.request(input)?)
}

fn fusion(state: &AppState, body: FusionBody) -> storage_core::FusionSettings {
    let mut settings = state.search.fusion;
    if let Some(method) = body.method {
        settings.method = method;
    }
    if let Some(rrf_k) = body.rrf_k {
        settings.rrf_k = rrf_k;
    }
    if let Some(weight) = body.vector_weight {
        settings.vector_weight = weight;
    }
    if let Some(weight) = body.keyword_weight {
        settings.keyword_weight = weight;
    }
    if body.vector_candidates.is_some() {
        settings.vector_candidates = body.vector_candidates;
    }
    if body.keyword_candidates.is_some() {
        settings.keyword_candidates = body.keyword_candidates;
    }
    settings
}

/// How many chunks match `where` (all of them without it).
#[utoipa::path(get, path = "/collections/{collection}/count", tag = "documents",
    params(CollectionPath, CountParams),
    responses((status = 200, description = "The count", body = Count)))]
pub(crate) async fn count(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<CollectionPath>,
    ApiQuery(params): ApiQuery<CountParams>,
) -> ApiResult<Json<Count>> {
    let filter = params.filter.as_deref().map(parse_where).transpose()?;
    let count = state.stores.documents.count(&name, filter.as_ref()).await?;
    Ok(Json(Count { count }))
}

/// A `where` body field, errors named `where` (`where.$and[0].year: ...`).
fn parse_where_object(map: serde_json::Map<String, Value>) -> storage_core::Result<Filter> {
    Filter::from_json(&Value::Object(map)).map_err(|e| e.within("where"))
}

/// A `where_document` body field, errors named `where_document`.
fn parse_where_document(map: serde_json::Map<String, Value>) -> storage_core::Result<DocumentFilter> {
    DocumentFilter::from_json(&Value::Object(map)).map_err(|e| e.within("where_document"))
}

/// A `where` query parameter: JSON text, errors named `where` (`where.$and[0].year: ...`).
fn parse_where(text: &str) -> storage_core::Result<Filter> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| storage_core::StorageError::invalid("where", format!("is not valid JSON: {e}")))?;
    Filter::from_json(&value).map_err(|e| e.within("where"))
}
