//! Raw arguments of `brainstore task …` (the shared task queue: enqueue, claim with a lease, complete, fail).

use clap::{Args, Subcommand};

use super::memory::EXIT_CODES;
use crate::args::PageArgs;

/// `task`.
#[derive(Debug, Args)]
#[command(after_long_help = EXIT_CODES)]
pub(crate) struct TaskArgs {
    /// Tenant whose queue to use [default: `tenant` from the configuration, else `default`].
    #[arg(long, global = true, value_name = "T")]
    pub(crate) tenant: Option<String>,
    #[command(subcommand)]
    pub(crate) action: TaskAction,
}

/// `task` actions.
#[derive(Debug, Subcommand)]
pub(crate) enum TaskAction {
    /// Enqueue a task (idempotent per --dedup-key).
    Enqueue(EnqueueArgs),
    /// Claim the highest-priority, oldest eligible task with a lease; prints `no task` ({"task": null})
    /// and exits 0 when none is eligible.
    Claim(ClaimArgs),
    /// Extend a claimed task's lease (exit 3 when the lease was lost).
    Heartbeat(HeartbeatArgs),
    /// Complete a claimed task with its result (exit 3 when the lease was lost).
    Complete(CompleteArgs),
    /// Record a failed attempt: retried after a backoff, dead-lettered after --max-attempts (exit 3 when
    /// the lease was lost).
    Fail(FailArgs),
    /// Cancel a pending or running task (exit 3 when it already finished).
    Cancel(TaskIdArgs),
    /// One task.
    Get(TaskIdArgs),
    /// Tasks, newest first.
    List(TaskListArgs),
    /// Task counts per status.
    Stats,
}

/// `task enqueue`.
#[derive(Debug, Args)]
pub(crate) struct EnqueueArgs {
    /// Kind, matched by claimers' --kind.
    #[arg(value_name = "KIND")]
    pub(crate) kind: String,
    /// Input of the task: JSON, or @FILE holding it [default: null].
    #[arg(long, value_name = "JSON|@FILE")]
    pub(crate) payload: Option<String>,
    /// Higher runs first [default: 0].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub(crate) priority: Option<i32>,
    /// Only this agent may claim it [default: any agent].
    #[arg(long, value_name = "A")]
    pub(crate) agent: Option<String>,
    /// Enqueueing again with the same key returns the existing task.
    #[arg(long, value_name = "K")]
    pub(crate) dedup_key: Option<String>,
    /// Not claimable before: RFC 3339, or from now (+90s, +30m, +12h, +7d).
    #[arg(long, value_name = "TIME")]
    pub(crate) not_before: Option<String>,
    /// Attempts before the task is dead-lettered, 1 to 100 [default: 3].
    #[arg(long, value_name = "N")]
    pub(crate) max_attempts: Option<u32>,
    /// First retry delay in seconds, doubling per failed attempt, at most 3600 [default: 10].
    #[arg(long, value_name = "SECONDS")]
    pub(crate) retry_backoff: Option<f64>,
    /// The session it belongs to (enqueueing counts as session activity).
    #[arg(long, value_name = "SESSION")]
    pub(crate) session: Option<String>,
}

/// `task claim`.
#[derive(Debug, Args)]
pub(crate) struct ClaimArgs {
    /// The claiming agent.
    #[arg(long, value_name = "A")]
    pub(crate) agent: String,
    /// Only this kind (repeat for several) [default: any].
    #[arg(long = "kind", value_name = "KIND")]
    pub(crate) kinds: Vec<String>,
    /// Lease length in seconds (fractions allowed), at most 86400 [default: 300].
    #[arg(long, value_name = "SECONDS")]
    pub(crate) lease: Option<f64>,
}

/// A task id and the lease that holds it.
#[derive(Debug, Args)]
pub(crate) struct LeaseArgs {
    #[command(flatten)]
    pub(crate) task: TaskIdArgs,
    /// The lease id printed by `task claim`.
    #[arg(long, value_name = "L")]
    pub(crate) lease_id: String,
}

/// `task heartbeat`.
#[derive(Debug, Args)]
pub(crate) struct HeartbeatArgs {
    #[command(flatten)]
    pub(crate) lease: LeaseArgs,
    /// New lease length from now, in seconds [default: 300].
    #[arg(long = "lease", value_name = "SECONDS")]
    pub(crate) seconds: Option<f64>,
}

/// `task complete`.
#[derive(Debug, Args)]
pub(crate) struct CompleteArgs {
    #[command(flatten)]
    pub(crate) lease: LeaseArgs,
    /// Output of the task: JSON, or @FILE holding it [default: null].
    #[arg(long, value_name = "JSON|@FILE")]
    pub(crate) result: Option<String>,
}

/// `task fail`.
#[derive(Debug, Args)]
pub(crate) struct FailArgs {
    #[command(flatten)]
    pub(crate) lease: LeaseArgs,
    /// What went wrong.
    #[arg(long, value_name = "TEXT")]
    pub(crate) error: String,
}

/// A task id.
#[derive(Debug, Args)]
pub(crate) struct TaskIdArgs {
    /// The task id (a UUID).
    #[arg(value_name = "ID")]
    pub(crate) id: String,
}

/// `task list`.
#[derive(Debug, Args)]
pub(crate) struct TaskListArgs {
    /// Only this status: pending, running, completed, dead_letter, cancelled (repeat for several).
    #[arg(long = "status", value_name = "S")]
    pub(crate) statuses: Vec<String>,
    /// Only this kind (repeat for several).
    #[arg(long = "kind", value_name = "KIND")]
    pub(crate) kinds: Vec<String>,
    /// Only this session's tasks.
    #[arg(long, value_name = "SESSION")]
    pub(crate) session: Option<String>,
    #[command(flatten)]
    pub(crate) page: PageArgs,
}
