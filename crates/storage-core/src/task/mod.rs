//! A task queue many agents on many machines can share: priorities, leases with fencing, retries with
//! backoff, dead letters, idempotent enqueue — behind the [`TaskQueue`] trait every backend implements.

mod fence;
mod store;
mod types;

pub use self::fence::{EXPIRED_LEASE_ERROR, TaskChange, check_task_change};
pub use self::store::TaskQueue;
pub use self::types::{
    ClaimRequest, DEFAULT_MAX_ATTEMPTS, DEFAULT_RETRY_BACKOFF_MS, EnqueueOutcome, ListTasks, MAX_RETRY_DELAY_MS,
    NewTask, Task, TaskStatus, check_lease_ms, check_task_error, check_task_result, retry_delay_ms,
};
