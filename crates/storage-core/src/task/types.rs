//! Task types and the retry backoff rule.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::document::check_json_no_nul;
use crate::error::StorageError;
use crate::session::check_identifier;
use crate::text_enum::string_enum;

/// Attempts a task gets unless told otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// The first retry delay unless told otherwise; it doubles with every failed attempt.
pub const DEFAULT_RETRY_BACKOFF_MS: u64 = 10_000;

/// The longest retry delay.
pub const MAX_RETRY_DELAY_MS: u64 = 3_600_000;

string_enum! {
    /// Where a task stands. These are exactly the values every backend's schema accepts.
    TaskStatus {
        /// Waiting to be claimed (possibly not before `not_before`, e.g. after a failed attempt).
        Pending = "pending",
        /// Claimed by `claimed_by` until `lease_expires_at`.
        Running = "running",
        /// Done; `result` is set.
        Completed = "completed",
        /// Failed `max_attempts` times; `last_error` says why.
        DeadLetter = "dead_letter",
        /// Cancelled before completion.
        Cancelled = "cancelled",
    }
}

impl TaskStatus {
    /// Whether the task can still change.
    pub fn is_terminal(self) -> bool {
        matches!(self, TaskStatus::Completed | TaskStatus::DeadLetter | TaskStatus::Cancelled)
    }
}

/// The delay before retry number `attempts` (1-based count of failed attempts so far):
/// `backoff · 2^(attempts-1)`, at most [`MAX_RETRY_DELAY_MS`].
pub fn retry_delay_ms(backoff_ms: u64, attempts: u32) -> u64 {
    let doublings = attempts.saturating_sub(1).min(40);
    backoff_ms.saturating_mul(1u64 << doublings).min(MAX_RETRY_DELAY_MS)
}

/// A task to enqueue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    /// Owner tenant (the queue).
    pub tenant: String,
    /// The session it belongs to, if any (enqueueing counts as session activity).
    #[serde(default)]
    pub session_id: Option<String>,
    /// Kind, matched by claimers.
    pub kind: String,
    /// Free JSON input.
    #[serde(default)]
    pub payload: Value,
    /// Higher runs first (default 0).
    #[serde(default)]
    pub priority: i32,
    /// Only this agent may claim it (any agent when absent).
    #[serde(default)]
    pub target_agent: Option<String>,
    /// Enqueueing again with the same key (in the tenant) returns the existing task.
    #[serde(default)]
    pub dedup_key: Option<String>,
    /// Not claimable before this time.
    #[serde(default)]
    pub not_before: Option<DateTime<Utc>>,
    /// Attempts before dead-lettering (default 3).
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// First retry delay in milliseconds (default 10 s), doubling per failed attempt.
    #[serde(default = "default_backoff")]
    pub retry_backoff_ms: u64,
}

fn default_max_attempts() -> u32 {
    DEFAULT_MAX_ATTEMPTS
}
fn default_backoff() -> u64 {
    DEFAULT_RETRY_BACKOFF_MS
}

impl NewTask {
    /// A task of `kind` with an empty payload.
    pub fn new(tenant: impl Into<String>, kind: impl Into<String>) -> Self {
        NewTask {
            tenant: tenant.into(),
            session_id: None,
            kind: kind.into(),
            payload: Value::Null,
            priority: 0,
            target_agent: None,
            dedup_key: None,
            not_before: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            retry_backoff_ms: DEFAULT_RETRY_BACKOFF_MS,
        }
    }

    /// Sets the payload.
    #[must_use]
    pub fn payload(mut self, payload: Value) -> Self {
        self.payload = payload;
        self
    }

    /// Sets the priority.
    #[must_use]
    pub fn priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    /// Checks the fields.
    pub fn validate(&self) -> crate::Result<()> {
        check_identifier("tenant", &self.tenant)?;
        check_identifier("kind", &self.kind)?;
        for (field, value) in
            [("session_id", &self.session_id), ("target_agent", &self.target_agent), ("dedup_key", &self.dedup_key)]
        {
            if let Some(value) = value {
                check_identifier(field, value)?;
            }
        }
        crate::check_range("max_attempts", self.max_attempts, 1, 100)?;
        if self.retry_backoff_ms > MAX_RETRY_DELAY_MS {
            return Err(StorageError::invalid("retry_backoff_ms", format!("must be at most {MAX_RETRY_DELAY_MS}")));
        }
        check_json_no_nul(&self.payload, "payload")
    }
}

/// Checks what [`crate::task::TaskQueue::complete`] stores: JSON without a NUL byte.
pub fn check_task_result(result: &Value) -> crate::Result<()> {
    check_json_no_nul(result, "result")
}

/// Checks what [`crate::task::TaskQueue::fail`] stores: text without a NUL byte.
pub fn check_task_error(error: &str) -> crate::Result<()> {
    if error.contains('\0') {
        return Err(StorageError::invalid("error", "contains a NUL byte, which no backend can store"));
    }
    Ok(())
}

/// A stored task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Task {
    /// Id.
    pub id: Uuid,
    /// Owner tenant.
    pub tenant: String,
    /// Session.
    pub session_id: Option<String>,
    /// Kind.
    pub kind: String,
    /// Input.
    pub payload: Value,
    /// Priority (higher first).
    pub priority: i32,
    /// Only this agent may claim it.
    pub target_agent: Option<String>,
    /// Idempotency key.
    pub dedup_key: Option<String>,
    /// Status.
    pub status: TaskStatus,
    /// Claims so far.
    pub attempts: u32,
    /// Attempts before dead-lettering.
    pub max_attempts: u32,
    /// First retry delay.
    pub retry_backoff_ms: u64,
    /// Not claimable before this.
    pub not_before: DateTime<Utc>,
    /// The agent holding (or last holding) the lease.
    pub claimed_by: Option<String>,
    /// The current lease; completing, failing or extending needs it (fencing against a worker whose lease
    /// expired and whose task was claimed again).
    pub lease_id: Option<Uuid>,
    /// When the lease ends.
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// Output of a completed task.
    pub result: Option<Value>,
    /// The last failure.
    pub last_error: Option<String>,
    /// Enqueue time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it reached a terminal status.
    pub finished_at: Option<DateTime<Utc>>,
}

/// What an enqueue did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnqueueOutcome {
    /// The task (the existing one when the dedup key was known).
    pub task: Task,
    /// False when the dedup key matched an existing task.
    pub created: bool,
}

/// A claim.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimRequest {
    /// The queue.
    pub tenant: String,
    /// The claiming agent.
    pub agent: String,
    /// Only these kinds (any, when empty).
    pub kinds: Vec<String>,
    /// Lease length in milliseconds (1 to 86,400,000).
    pub lease_ms: u64,
}

impl ClaimRequest {
    /// A claim of any kind with a lease of `lease_ms`.
    pub fn new(tenant: impl Into<String>, agent: impl Into<String>, lease_ms: u64) -> Self {
        ClaimRequest { tenant: tenant.into(), agent: agent.into(), kinds: Vec::new(), lease_ms }
    }

    /// Checks the fields.
    pub fn validate(&self) -> crate::Result<()> {
        check_identifier("tenant", &self.tenant)?;
        check_identifier("agent", &self.agent)?;
        for (idx, kind) in self.kinds.iter().enumerate() {
            check_identifier(&format!("kinds[{idx}]"), kind)?;
        }
        check_lease_ms(self.lease_ms)
    }
}

/// Checks a lease length: 1 ms to 24 hours.
pub fn check_lease_ms(lease_ms: u64) -> crate::Result<()> {
    crate::check_range("lease_ms", lease_ms, 1, 86_400_000)
}

/// Which tasks to list, newest first.
#[derive(Clone, Debug, PartialEq)]
pub struct ListTasks {
    /// The queue.
    pub tenant: String,
    /// Only these statuses (any, when empty).
    pub statuses: Vec<TaskStatus>,
    /// Only these kinds (any, when empty).
    pub kinds: Vec<String>,
    /// Only this session's tasks.
    pub session_id: Option<String>,
    /// Page size (1 to 1000).
    pub limit: usize,
    /// Tasks to skip.
    pub offset: usize,
}

impl ListTasks {
    /// The newest `limit` tasks of `tenant`.
    pub fn new(tenant: impl Into<String>, limit: usize) -> Self {
        ListTasks { tenant: tenant.into(), statuses: Vec::new(), kinds: Vec::new(), session_id: None, limit, offset: 0 }
    }

    /// Checks the page size.
    pub fn validate(&self) -> crate::Result<()> {
        crate::check_page_limit("limit", self.limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(retry_delay_ms(1_000, 1), 1_000);
        assert_eq!(retry_delay_ms(1_000, 2), 2_000);
        assert_eq!(retry_delay_ms(1_000, 4), 8_000);
        assert_eq!(retry_delay_ms(1_000, 64), MAX_RETRY_DELAY_MS);
        assert_eq!(retry_delay_ms(0, 5), 0);
    }

    #[test]
    fn statuses_are_exactly_the_schema_values() {
        let names: Vec<&str> = TaskStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, ["pending", "running", "completed", "dead_letter", "cancelled"]);
        assert_eq!("dead_letter".parse::<TaskStatus>().unwrap(), TaskStatus::DeadLetter);
        assert!("in_progress".parse::<TaskStatus>().is_err());
    }

    #[test]
    fn validation_names_fields() {
        let bad = NewTask { max_attempts: 0, ..NewTask::new("t", "k") };
        assert!(bad.validate().unwrap_err().to_string().starts_with("max_attempts"));
        let bad = NewTask::new("t", "k").payload(serde_json::json!({"a": ["x\u{0}"]}));
        assert!(bad.validate().unwrap_err().to_string().starts_with("payload.a[0]"));
        assert!(ClaimRequest::new("t", "a", 0).validate().is_err());
    }
}
