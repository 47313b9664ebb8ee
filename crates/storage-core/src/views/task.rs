//! Views of the task queue: a claim (which may find nothing), lists with their count, and the counts per status.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::task::{Task, TaskStatus};

/// A claim's answer: `{"task"}`, null when nothing was eligible.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimedTask {
    /// The task, now running under a new lease; null when no task is eligible.
    pub task: Option<Task>,
}

counted_list! {
    /// Tasks: `{"count", "tasks"}`, newest first.
    TaskList {
        /// Tasks in this page.
        count,
        /// Newest first.
        tasks: Task,
    }
}

/// Counts per status: `{"counts": {"pending", "running", "completed", "dead_letter", "cancelled"}, "total"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskStats {
    /// Tasks per status, every status present.
    pub counts: BTreeMap<TaskStatus, u64>,
    /// All tasks.
    pub total: u64,
}

impl TaskStats {
    /// The stats of `counts`.
    pub fn new(counts: BTreeMap<TaskStatus, u64>) -> Self {
        let total = counts.values().sum();
        TaskStats { counts, total }
    }
}
