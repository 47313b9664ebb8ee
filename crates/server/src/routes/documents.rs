//! `/collections/{collection}/...`: batch upsert, get, delete by ids or filter, query and count.

use std::time::Instant;

use axum::Json;
use axum::extract::State;
use serde_json::Value;
use storage_core::views::{Count, Deleted, SearchResults};
use storage_core::{
    DocumentFilter, Embedding, Filter, SearchInput, SearchRequest, StorageError, StoredChunk, UpsertSummary, check_id,
};

use crate::dto::documents::{CountParams, DeleteBody, FusionBody, QueryBody, UpsertBody};
use crate::dto::path::CollectionPath;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::{AppState, collection_name};

/// Upserts a batch atomically: a JSON array of chunks, or `{"chunks": [...]}`. A repeated id keeps its
/// last occurrence; a wrong vector length fails the whole batch (409 `incompatible_state`).
#[utoipa::path(post, path = "/collections/{collection}/documents", tag = "documents", request_body = UpsertBody,
    params(CollectionPath),
    responses((status = 200, description = "What the upsert did", body = UpsertSummary)))]
pub(crate) async fn upsert(
    State(state): State<AppState>,
    ApiPath(collection): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<UpsertSummary>> {
    let name = collection_name(&collection)?;
    let chunks = UpsertBody::parse(body)?;
    let summary = state.stores.documents.upsert(&name, chunks).await?;
    Ok(Json(summary))
}

/// One chunk, embedding included.
#[utoipa::path(get, path = "/collections/{collection}/documents/{id}", tag = "documents",
    params(CollectionPath, ("id" = String, Path, description = "Chunk id")),
    responses((status = 200, description = "The chunk", body = StoredChunk)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    ApiPath((collection, id)): ApiPath<(String, String)>,
) -> ApiResult<Json<StoredChunk>> {
    let name = collection_name(&collection)?;
    check_id(&id, "id")?;
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
    ApiPath(collection): ApiPath<String>,
    ApiJson(body): ApiJson<DeleteBody>,
) -> ApiResult<Json<Deleted>> {
    let name = collection_name(&collection)?;
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
            let filter = Filter::from_json(&Value::Object(filter)).map_err(|e| e.within("where"))?;
            filter.check_deletable().map_err(|error| match error {
                StorageError::InvalidInput { reason, .. } => ApiError::invalid(format!(
                    "where: {reason}; `DELETE /collections/{{collection}}` drops the collection and every chunk in it"
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
    ApiPath(collection): ApiPath<String>,
    ApiJson(body): ApiJson<QueryBody>,
) -> ApiResult<Json<SearchResults>> {
    let name = collection_name(&collection)?;
    let request = search_request(&state, body)?;
    let started = Instant::now();
    let hits = state.stores.documents.search(&name, &request).await?;
    let took_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(Json(SearchResults::new(request.mode, took_ms, hits)))
}

/// The request a query body asks for, with the server's `search:` defaults filling the gaps, as
/// `brainstore search` fills them from the same section.
fn search_request(state: &AppState, body: QueryBody) -> ApiResult<SearchRequest> {
    let embedding =
        body.embedding.map(|values| Embedding::from_f64(&values).map_err(|e| e.within("embedding"))).transpose()?;
    let filter = body.filter.map(|map| Filter::from_json(&Value::Object(map)).map_err(|e| e.within("where")));
    let document_filter = body
        .where_document
        .map(|map| DocumentFilter::from_json(&Value::Object(map)).map_err(|e| e.within("where_document")));
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
    ApiPath(collection): ApiPath<String>,
    ApiQuery(params): ApiQuery<CountParams>,
) -> ApiResult<Json<Count>> {
    let name = collection_name(&collection)?;
    let filter = params.filter.as_deref().map(parse_where).transpose()?;
    let count = state.stores.documents.count(&name, filter.as_ref()).await?;
    Ok(Json(Count { count }))
}

/// A `where` query parameter: JSON text, errors named `where` (`where.$and[0].year: ...`).
fn parse_where(text: &str) -> storage_core::Result<Filter> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| storage_core::StorageError::invalid("where", format!("is not valid JSON: {e}")))?;
    Filter::from_json(&value).map_err(|e| e.within("where"))
}
