//! Bodies of the task-queue routes (`/tenants/{tenant}/tasks/...`), with their OpenAPI schemas.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use storage_core::task::{DEFAULT_MAX_ATTEMPTS, DEFAULT_RETRY_BACKOFF_MS, EnqueueOutcome, NewTask, Task, TaskStatus};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::memory::mirror_enum;

mirror_enum! {
    /// Where a task stands.
    TaskStatusName mirrors TaskStatus {
        /// Waiting to be claimed.
        Pending,
        /// Claimed, under a lease.
        Running,
        /// Done.
        Completed,
        /// Failed `max_attempts` times.
        DeadLetter,
        /// Cancelled.
        Cancelled,
    }
}

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

/// A task.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct TaskView {
    /// Id.
    pub(crate) id: Uuid,
    /// Owner tenant.
    pub(crate) tenant: String,
    /// Session.
    pub(crate) session_id: Option<String>,
    /// Kind.
    pub(crate) kind: String,
    /// Input.
    pub(crate) payload: Value,
    /// Priority.
    pub(crate) priority: i32,
    /// Only this agent may claim it.
    pub(crate) target_agent: Option<String>,
    /// Idempotency key.
    pub(crate) dedup_key: Option<String>,
    /// Status.
    pub(crate) status: TaskStatusName,
    /// Claims so far.
    pub(crate) attempts: u32,
    /// Attempts before dead-lettering.
    pub(crate) max_attempts: u32,
    /// First retry delay.
    pub(crate) retry_backoff_ms: u64,
    /// Not claimable before this.
    pub(crate) not_before: DateTime<Utc>,
    /// The agent holding (or last holding) the lease.
    pub(crate) claimed_by: Option<String>,
    /// The current lease: heartbeat, complete and fail need it.
    pub(crate) lease_id: Option<Uuid>,
    /// When the lease ends.
    pub(crate) lease_expires_at: Option<DateTime<Utc>>,
    /// Output of a completed task.
    pub(crate) result: Option<Value>,
    /// The last failure.
    pub(crate) last_error: Option<String>,
    /// Enqueued.
    pub(crate) created_at: DateTime<Utc>,
    /// Last changed.
    pub(crate) updated_at: DateTime<Utc>,
    /// When it finished.
    pub(crate) finished_at: Option<DateTime<Utc>>,
}

impl From<Task> for TaskView {
    fn from(t: Task) -> Self {
        TaskView {
            id: t.id,
            tenant: t.tenant,
            session_id: t.session_id,
            kind: t.kind,
            payload: t.payload,
            priority: t.priority,
            target_agent: t.target_agent,
            dedup_key: t.dedup_key,
            status: t.status.into(),
            attempts: t.attempts,
            max_attempts: t.max_attempts,
            retry_backoff_ms: t.retry_backoff_ms,
            not_before: t.not_before,
            claimed_by: t.claimed_by,
            lease_id: t.lease_id,
            lease_expires_at: t.lease_expires_at,
            result: t.result,
            last_error: t.last_error,
            created_at: t.created_at,
            updated_at: t.updated_at,
            finished_at: t.finished_at,
        }
    }
}

/// What an enqueue did.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct EnqueueResponse {
    /// The task (the existing one when the dedup key was known).
    pub(crate) task: TaskView,
    /// False when the dedup key matched an existing task.
    pub(crate) created: bool,
}

impl From<EnqueueOutcome> for EnqueueResponse {
    fn from(outcome: EnqueueOutcome) -> Self {
        EnqueueResponse { task: outcome.task.into(), created: outcome.created }
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

/// `POST .../tasks/claim`: the claimed task, or null when none is eligible.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ClaimResponse {
    /// The task, now running under a new lease.
    pub(crate) task: Option<TaskView>,
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

/// A list of tasks.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct TasksResponse {
    /// Newest first.
    pub(crate) tasks: Vec<TaskView>,
}

/// `GET .../tasks/stats`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct StatsResponse {
    /// Tasks per status, every status present.
    pub(crate) counts: BTreeMap<String, u64>,
}

impl StatsResponse {
    /// From core's counts.
    pub(crate) fn from_counts(counts: BTreeMap<TaskStatus, u64>) -> Self {
        StatsResponse { counts: counts.into_iter().map(|(status, n)| (status.as_str().to_owned(), n)).collect() }
    }
}
