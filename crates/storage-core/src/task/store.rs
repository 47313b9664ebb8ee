//! The `TaskQueue` trait.

use std::collections::BTreeMap;
use std::fmt;

use async_trait::async_trait;
use serde_json::Value;
use uuid::Uuid;

use super::types::{ClaimRequest, EnqueueOutcome, ListTasks, NewTask, Task, TaskStatus};

/// A shared task queue, confined per tenant.
///
/// Claiming is atomic: two claimers never receive the same task (PostgreSQL: `FOR UPDATE SKIP LOCKED`;
/// embedded: one write transaction). A claim takes the highest-priority, then oldest, eligible task:
/// pending with `not_before` passed, targeted at the agent or at none, of a requested kind — or running
/// with an expired lease (a crashed worker loses nothing; an expired task that has used all its attempts
/// is dead-lettered instead). Every claim issues a new `lease_id`; heartbeat, complete and fail need it and
/// fail with `StorageError::Conflict` once the lease was lost. Times come from the application clock:
/// machines sharing a queue need synchronised clocks (leases are seconds long).
#[async_trait]
pub trait TaskQueue: Send + Sync + fmt::Debug + 'static {
    /// Enqueues a task, idempotent per `dedup_key`.
    async fn enqueue(&self, task: NewTask) -> crate::Result<EnqueueOutcome>;

    /// Claims the best eligible task, or returns `None` when none is eligible.
    async fn claim(&self, request: &ClaimRequest) -> crate::Result<Option<Task>>;

    /// Extends a lease to `lease_ms` from now.
    async fn heartbeat(&self, tenant: &str, id: Uuid, lease_id: Uuid, lease_ms: u64) -> crate::Result<Task>;

    /// Completes a running task with its result.
    async fn complete(&self, tenant: &str, id: Uuid, lease_id: Uuid, result: Value) -> crate::Result<Task>;

    /// Records a failed attempt: back to pending after [`super::retry_delay_ms`], or dead-lettered once
    /// `max_attempts` is reached.
    async fn fail(&self, tenant: &str, id: Uuid, lease_id: Uuid, error: &str) -> crate::Result<Task>;

    /// Cancels a pending or running task; a finished task gives `Conflict`.
    async fn cancel(&self, tenant: &str, id: Uuid) -> crate::Result<Task>;

    /// One task.
    async fn get_task(&self, tenant: &str, id: Uuid) -> crate::Result<Option<Task>>;

    /// Tasks, newest first.
    async fn list_tasks(&self, request: &ListTasks) -> crate::Result<Vec<Task>>;

    /// Task counts per status, every status present (zero included).
    async fn task_stats(&self, tenant: &str) -> crate::Result<BTreeMap<TaskStatus, u64>>;
}
