//! Request bodies and query parameters of the task-queue routes (`/tenants/{tenant}/tasks/...`); the responses are core's types and views.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use storage_core::task::{DEFAULT_MAX_ATTEMPTS, DEFAULT_RETRY_BACKOFF_MS, NewTask};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

fn default_max_attempts() -> u32 {
    DEFAULT_MAX_ATTEMPTS
}
fn default_backoff() -> u64 {
    DEFAULT_RETRY_BACKOFF_MS
}

/// `POST .../tasks`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TaskBody {
    /// The session it belongs to.
    #[serde(default)]
    pub(crate) session_id: Option<String>,
    /// Kind, matched by claimers.
    pub(crate) kind: String,
    /// Free JSON input.
    #[serde(default)]
    pub(crate) payload: Value,
    /// Higher runs first (default 0).
    #[serde(default)]
    pub(crate) priority: i32,
    /// Only this agent may claim it.
    #[serde(default)]
    pub(crate) target_agent: Option<String>,
    /// Enqueueing again with the same key returns the existing task.
    #[serde(default)]
    pub(crate) dedup_key: Option<String>,
    /// Not claimable before this time.
    #[serde(default)]
    pub(crate) not_before: Option<DateTime<Utc>>,
    /// Attempts before dead-lettering, 1 to 100 (default 3).
    #[serde(default = "default_max_attempts")]
    #[schema(minimum = 1, maximum = 100)]
    pub(crate) max_attempts: u32,
    /// First retry delay in milliseconds, doubling per failed attempt (default 10000, at most 3600000).
    #[serde(default = "default_backoff")]
    #[schema(maximum = 3_600_000)]
    pub(crate) retry_backoff_ms: u64,
}

impl TaskBody {
    /// Core's task in `tenant`.
    pub(crate) fn in_tenant(self, tenant: &str) -> NewTask {
        NewTask {
            tenant: tenant.to_owned(),
            session_id: self.session_id,
            kind: self.kind,
            payload: self.payload,
            priority: self.priority,
            target_agent: self.target_agent,
            dedup_key: self.dedup_key,
            not_before: self.not_before,
            max_attempts: self.max_attempts,
            retry_backoff_ms: self.retry_backoff_ms,
        }
    }
}

/// `POST .../tasks/claim`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClaimBody {
    /// The claiming agent.
    pub(crate) agent: String,
    /// Only these kinds (any when empty).
    #[serde(default)]
    pub(crate) kinds: Vec<String>,
    /// Lease length in milliseconds, 1 to 86400000.
    #[schema(minimum = 1, maximum = 86_400_000)]
    pub(crate) lease_ms: u64,
}

/// `POST .../tasks/{id}/heartbeat`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TaskHeartbeatBody {
    /// The lease from the claim.
    pub(crate) lease_id: Uuid,
    /// The new lease length from now, in milliseconds.
    #[schema(minimum = 1, maximum = 86_400_000)]
    pub(crate) lease_ms: u64,
}

/// `POST .../tasks/{id}/complete`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CompleteBody {
    /// The lease from the claim.
    pub(crate) lease_id: Uuid,
    /// The result (any JSON).
    #[serde(default)]
    pub(crate) result: Value,
}

/// `POST .../tasks/{id}/fail`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FailBody {
    /// The lease from the claim.
    pub(crate) lease_id: Uuid,
    /// What went wrong.
    pub(crate) error: String,
}

/// `GET .../tasks` parameters.
#[derive(Clone, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListTasksParams {
    /// Comma-separated statuses (pending, running, completed, dead_letter, cancelled).
    pub(crate) statuses: Option<String>,
    /// Comma-separated kinds.
    pub(crate) kinds: Option<String>,
    /// Only this session's tasks.
    pub(crate) session_id: Option<String>,
    /// Page size, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    pub(crate) limit: Option<usize>,
    /// Tasks to skip.
    pub(crate) offset: Option<usize>,
}
