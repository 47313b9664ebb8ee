//! Bodies of the health routes: the seed's `/health/status` and `/health/postgres` shapes, never a password or connection string.

use serde::{Deserialize, Serialize};
use storage_core::views::StoreStatus;
use storage_core::{HealthReport, PoolStatus};
use utoipa::ToSchema;

/// `GET /health`: the process answers.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct LivenessResponse {
    /// Always `ok`.
    pub(crate) status: String,
}

/// `GET /health/status`: a word for the store's state, then the state as `brainstore status --json` shows it too.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct StatusResponse {
    /// `healthy`, `degraded` (answers, but its schema is not there) or `unhealthy`.
    pub(crate) status: String,
    /// The store's state.
    #[serde(flatten)]
    pub(crate) store: StoreStatus,
}

impl From<HealthReport> for StatusResponse {
    fn from(report: HealthReport) -> Self {
        let status = match (report.healthy, report.initialized) {
            (true, true) => "healthy",
            (true, false) => "degraded",
            (false, _) => "unhealthy",
        };
        StatusResponse { status: status.to_owned(), store: report.into() }
    }
}

/// The PostgreSQL server behind the store.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct DatabaseView {
    /// `server_version` of PostgreSQL, or `unavailable`.
    pub(crate) version: String,
    /// The pgvector extension's version, or `not installed`.
    pub(crate) pgvector_version: String,
    /// Host name or address.
    pub(crate) host: String,
    /// Port.
    pub(crate) port: u16,
    /// Database name.
    pub(crate) database: String,
    /// The schema holding brainstore's tables.
    pub(crate) schema: String,
}

/// `GET /health/postgres`: pool metrics and the server, as the seed reports them (behind the token here).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct PostgresHealthResponse {
    /// `healthy` or `unhealthy`.
    pub(crate) status: String,
    /// Always `postgres`.
    pub(crate) backend: String,
    /// Pool metrics.
    pub(crate) pool: PoolStatus,
    /// The server.
    pub(crate) database: DatabaseView,
}

impl PostgresHealthResponse {
    /// The seed's shape from a PostgreSQL health report.
    pub(crate) fn from_report(report: HealthReport) -> Self {
        let detail = |key: &str| report.details.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
        let version = |key: &str| report.versions.get(key).cloned().unwrap_or_else(|| "unavailable".to_owned());
        let port = report.details.get("port").and_then(serde_json::Value::as_u64).and_then(|p| u16::try_from(p).ok());
        let pool = report.pool.clone().unwrap_or_else(PoolStatus::not_initialized);
        PostgresHealthResponse {
            status: if report.healthy { "healthy" } else { "unhealthy" }.to_owned(),
            backend: report.backend.clone(),
            pool,
            database: DatabaseView {
                version: version("postgresql"),
                pgvector_version: version("pgvector"),
                host: detail("host"),
                port: port.unwrap_or_default(),
                database: detail("database"),
                schema: detail("schema"),
            },
        }
    }
}
