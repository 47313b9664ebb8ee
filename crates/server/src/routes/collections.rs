//! `/collections`: list, create, get and drop collections.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use storage_core::views::Collections;
use storage_core::{CollectionInfo, CollectionName};

use crate::dto::documents::{CreateCollectionBody, DropResponse};
use crate::dto::path::CollectionPath;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;

/// Every collection with its embedding space and count.
#[utoipa::path(get, path = "/collections", tag = "collections",
    responses((status = 200, description = "Every collection, by name", body = Collections)))]
pub(crate) async fn list(State(state): State<AppState>) -> ApiResult<Json<Collections>> {
    let collections = state.stores.documents.list_collections().await?;
    Ok(Json(Collections { collections }))
}

/// Creates a collection, optionally with its embedding space. Idempotent: an existing collection is returned
/// (200) when the space is absent or the same; a different space is refused (409 `incompatible_state`).
#[utoipa::path(post, path = "/collections", tag = "collections", request_body = CreateCollectionBody,
    responses(
        (status = 201, description = "Created", body = CollectionInfo),
        (status = 200, description = "It existed already", body = CollectionInfo)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateCollectionBody>,
) -> ApiResult<(StatusCode, Json<CollectionInfo>)> {
    let name = CollectionName::new(body.name).map_err(|e| e.within("name"))?;
    let space = body.embedding;
    if let Some(space) = &space {
        space.validate().map_err(|e| e.within("embedding"))?;
    }
    let store = &state.stores.documents;
    let existed = store.collection(&name).await?.is_some();
    let info = store.create_collection(&name, space.as_ref()).await?;
    let status = if existed { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(info)))
}

/// One collection.
#[utoipa::path(get, path = "/collections/{collection}", tag = "collections",
    params(CollectionPath),
    responses((status = 200, description = "The collection", body = CollectionInfo)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<CollectionPath>,
) -> ApiResult<Json<CollectionInfo>> {
    match state.stores.documents.collection(&name).await? {
        Some(info) => Ok(Json(info)),
        None => Err(ApiError::not_found(format!("collection `{name}` was not found"))),
    }
}

/// Drops a collection and every chunk in it.
#[utoipa::path(delete, path = "/collections/{collection}", tag = "collections",
    params(CollectionPath),
    responses((status = 200, description = "Whether it existed", body = DropResponse)))]
pub(crate) async fn drop(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<CollectionPath>,
) -> ApiResult<Json<DropResponse>> {
    let dropped = state.stores.documents.drop_collection(&name).await?;
    Ok(Json(DropResponse { dropped }))
}
