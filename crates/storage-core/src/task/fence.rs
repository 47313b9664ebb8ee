//! Who may change a claimed task: the one rule, and its `Conflict` messages, every backend applies.

use std::fmt;

use uuid::Uuid;

use super::types::{Task, TaskStatus};
use crate::error::StorageError;

/// The `last_error` of a task dead-lettered because the lease of its last attempt expired, when no
/// earlier attempt recorded an error. An earlier attempt's error is kept instead: a worker that crashed
/// without a word says less about the task than the failure it reported before.
pub const EXPIRED_LEASE_ERROR: &str = "the lease expired during the last attempt";

/// A change to a task after it was enqueued; all but `Cancel` carry the lease the caller claims to hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskChange {
    /// Extending the lease ([`crate::task::TaskQueue::heartbeat`]).
    Heartbeat(Uuid),
    /// Recording the result ([`crate::task::TaskQueue::complete`]).
    Complete(Uuid),
    /// Recording a failed attempt ([`crate::task::TaskQueue::fail`]).
    Fail(Uuid),
    /// Cancelling ([`crate::task::TaskQueue::cancel`]); needs no lease.
    Cancel,
}

impl TaskChange {
    /// The lease the change is made under, if it needs one.
    pub fn lease_id(self) -> Option<Uuid> {
        match self {
            TaskChange::Heartbeat(lease) | TaskChange::Complete(lease) | TaskChange::Fail(lease) => Some(lease),
            TaskChange::Cancel => None,
        }
    }
}

impl fmt::Display for TaskChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaskChange::Heartbeat(_) => "extend the lease of",
            TaskChange::Complete(_) => "complete",
            TaskChange::Fail(_) => "fail",
            TaskChange::Cancel => "cancel",
        })
    }
}

/// Whether `change` may be made to `task` as stored: an unfinished task, and for a lease-bound change, a
/// running task still under that lease. Otherwise a `Conflict` naming the task, the change and why: the
/// status it finished with, or the lease no longer held and what holds the task now. The lease id is the
/// fence, not the clock: a lease that expired but that nobody claimed since still holds.
pub fn check_task_change(task: &Task, change: TaskChange) -> crate::Result<()> {
    let id = task.id;
    if task.status.is_terminal() {
        return Err(StorageError::Conflict {
            reason: format!("cannot {change} task {id}: it already finished with status `{}`", task.status),
        });
    }
    let Some(lease_id) = change.lease_id() else {
        return Ok(());
    };
    if task.status == TaskStatus::Running && task.lease_id == Some(lease_id) {
        return Ok(());
    }
    let now = match (task.status, task.claimed_by.as_deref()) {
        (TaskStatus::Running, Some(agent)) => format!("the task was claimed again by `{agent}`"),
        (TaskStatus::Running, None) => "the task is running under another lease".to_owned(),
        (status, _) => format!("the task is `{status}` and no lease holds it"),
    };
    Err(StorageError::Conflict {
        reason: format!("cannot {change} task {id}: lease {lease_id} is no longer held; {now}"),
    })
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use serde_json::Value;

    use super::*;

    fn task(status: TaskStatus, lease_id: Option<Uuid>, claimed_by: Option<&str>) -> Task {
        let at = Utc::now();
        Task {
            id: Uuid::nil(),
            tenant: "acme".into(),
            session_id: None,
            kind: "work".into(),
            payload: Value::Null,
            priority: 0,
            target_agent: None,
            dedup_key: None,
            status,
            attempts: 1,
            max_attempts: 3,
            retry_backoff_ms: 0,
            not_before: at,
            claimed_by: claimed_by.map(str::to_owned),
            lease_id,
            lease_expires_at: None,
            result: None,
            last_error: None,
            created_at: at,
            updated_at: at,
            finished_at: None,
        }
    }

    fn check(task: &Task, change: TaskChange, expected: Option<&str>) {
        let got = check_task_change(task, change).err().map(|err| err.to_string());
        assert_eq!(got.as_deref(), expected, "{change:?} on {task:?}");
    }

    #[test]
    fn only_the_current_lease_changes_an_unfinished_task() {
        let (mine, theirs) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let nil = Uuid::nil();
        let running = task(TaskStatus::Running, Some(mine), Some("w"));
        check(&running, TaskChange::Complete(mine), None);
        check(&running, TaskChange::Cancel, None);
        check(&task(TaskStatus::Pending, None, None), TaskChange::Cancel, None);
        check(
            &task(TaskStatus::Running, Some(theirs), Some("rescuer")),
            TaskChange::Heartbeat(mine),
            Some(&format!(
                "conflict: cannot extend the lease of task {nil}: lease {mine} is no longer held; \
                 the task was claimed again by `rescuer`"
            )),
        );
        check(
            &task(TaskStatus::Pending, None, Some("w")),
            TaskChange::Fail(mine),
            Some(&format!(
                "conflict: cannot fail task {nil}: lease {mine} is no longer held; \
                 the task is `pending` and no lease holds it"
            )),
        );
        check(
            &task(TaskStatus::DeadLetter, None, Some("w")),
            TaskChange::Cancel,
            Some(&format!("conflict: cannot cancel task {nil}: it already finished with status `dead_letter`")),
        );
        check(
            &task(TaskStatus::Completed, None, Some("w")),
            TaskChange::Complete(mine),
            Some(&format!("conflict: cannot complete task {nil}: it already finished with status `completed`")),
        );
    }
}
