//! `GET /health` (liveness, open to anyone), `GET /health/status` and `GET /health/postgres` (the seed's shapes, behind the token).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::dto::health::{LivenessResponse, PostgresHealthResponse, StatusResponse};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Liveness: the process answers. Needs no token and says nothing about the store.
#[utoipa::path(get, path = "/health", tag = "health", security(()),
    responses((status = 200, description = "The server answers", body = LivenessResponse)))]
pub(crate) async fn liveness() -> Json<LivenessResponse> {
    Json(LivenessResponse { status: "ok".to_owned() })
}

/// The store's state: backend, initialized, counts, versions and, on PostgreSQL, pool metrics.
#[utoipa::path(get, path = "/health/status", tag = "health",
    responses((status = 200, description = "The store's state", body = StatusResponse)))]
pub(crate) async fn status(State(state): State<AppState>) -> ApiResult<Json<StatusResponse>> {
    let report = state.stores.documents.health().await?;
    Ok(Json(StatusResponse::from(report)))
}

/// PostgreSQL pool metrics and server: version, pgvector version, host, port, database (never a password).
/// 400 `unsupported` when the backend is not PostgreSQL.
#[utoipa::path(get, path = "/health/postgres", tag = "health",
    responses((status = 200, description = "Pool metrics and server", body = PostgresHealthResponse)))]
pub(crate) async fn postgres(State(state): State<AppState>) -> ApiResult<Json<PostgresHealthResponse>> {
    let backend = state.stores.documents.backend();
    if backend != "postgres" {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "unsupported",
            format!(
                "the PostgreSQL health endpoint is only available when the storage backend is postgres (it is {backend})"
            ),
        ));
    }
    let report = state.stores.documents.health().await?;
    Ok(Json(PostgresHealthResponse::from_report(report)))
}
