//! Task results: `--json` documents (`{"task"}`, `{"task","created"}`, `{"tasks"}`, `{"counts","total"}`) and their human forms.

use std::io::{self, Write};

use super::memory::time_text;
use super::table::{Align, Table, key_values};
use super::{Report, one_line};
use serde::Serialize;
use storage_core::task::{EnqueueOutcome, Task, TaskStatus};
use storage_core::views::{TaskList, TaskStats};

fn write_task(out: &mut dyn Write, task: &Task) -> io::Result<()> {
    key_values(
        out,
        &[
            ("id", Some(task.id.to_string())),
            ("kind", Some(task.kind.clone())),
            ("status", Some(task.status.to_string())),
            ("priority", Some(task.priority.to_string())),
            ("attempts", Some(format!("{} of {}", task.attempts, task.max_attempts))),
            ("session", task.session_id.clone()),
            ("for agent", task.target_agent.clone()),
            ("dedup key", task.dedup_key.clone()),
            ("not before", Some(time_text(&task.not_before))),
            ("claimed by", task.claimed_by.clone()),
            ("lease id", task.lease_id.map(|id| id.to_string())),
            ("lease until", task.lease_expires_at.as_ref().map(time_text)),
            ("payload", (!task.payload.is_null()).then(|| task.payload.to_string())),
            ("result", task.result.as_ref().map(ToString::to_string)),
            ("last error", task.last_error.clone()),
            ("created", Some(time_text(&task.created_at))),
            ("finished", task.finished_at.as_ref().map(time_text)),
        ],
    )
}

/// One task, or none: `{"task": {…} | null}`.
#[derive(Debug, Serialize)]
pub(crate) struct TaskReport {
    task: Option<Task>,
    #[serde(skip)]
    headline: Option<String>,
    #[serde(skip)]
    claim: bool,
}

impl TaskReport {
    /// The report of `task`.
    pub(crate) fn new(task: Option<Task>) -> Self {
        TaskReport { task, headline: None, claim: false }
    }

    /// A first line saying what happened (human output only).
    pub(crate) fn headline(mut self, text: String) -> Self {
        self.headline = Some(text);
        self
    }

    /// The answer to a claim: `no task` when nothing was eligible, the lease id up front otherwise.
    pub(crate) fn claim(mut self) -> Self {
        self.claim = true;
        self
    }
}

impl Report for TaskReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let Some(task) = &self.task else {
            return writeln!(out, "no task: none is eligible");
        };
        if self.claim {
            let lease = task.lease_id.map_or_else(String::new, |id| id.to_string());
            writeln!(out, "claimed task {} with lease {lease}", task.id)?;
        } else if let Some(headline) = &self.headline {
            writeln!(out, "{headline}")?;
        }
        write_task(out, task)
    }
}

/// `enqueue`: `{"task": {…}, "created": bool}` (false when --dedup-key matched an existing task).
impl Report for EnqueueOutcome {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let task = &self.task;
        if self.created {
            writeln!(out, "enqueued task {}", task.id)?;
        } else {
            writeln!(out, "task {} already holds this dedup key: nothing enqueued", task.id)?;
        }
        write_task(out, task)
    }
}

/// `list`: `{"count", "tasks": […]}`, newest first.
impl Report for TaskList {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        Table::of(
            &self.tasks,
            &[
                ("id", Align::Left, |task| task.id.to_string()),
                ("kind", Align::Left, |task| one_line(&task.kind, 20)),
                ("status", Align::Left, |task| task.status.to_string()),
                ("prio", Align::Right, |task| task.priority.to_string()),
                ("attempts", Align::Right, |task| format!("{}/{}", task.attempts, task.max_attempts)),
                ("agent", Align::Left, |task| {
                    one_line(task.claimed_by.as_deref().or(task.target_agent.as_deref()).unwrap_or(""), 20)
                }),
                ("created", Align::Left, |task| time_text(&task.created_at)),
                ("error", Align::Left, |task| one_line(task.last_error.as_deref().unwrap_or(""), 40)),
            ],
        )
        .write_or(out, "no tasks")
    }
}

/// `stats`: `{"counts": {"pending": n, "running": n, "completed": n, "dead_letter": n, "cancelled": n},
/// "total": n}`.
impl Report for TaskStats {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut table = Table::new(&[("status", Align::Left), ("tasks", Align::Right)]);
        for status in TaskStatus::ALL {
            table.row(vec![status.to_string(), self.counts.get(status).copied().unwrap_or(0).to_string()]);
        }
        table.row(vec!["total".to_owned(), self.total.to_string()]);
        table.write(out)
    }
}
