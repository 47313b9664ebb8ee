//! `brainstore task …`: validate the action's flags into typed input, then run it against the store's `TaskQueue`.

mod lease;

use serde_json::Value;
use storage_core::StorageError;
use storage_core::task::{DEFAULT_RETRY_BACKOFF_MS, ListTasks, MAX_RETRY_DELAY_MS, NewTask, TaskStatus};
use storage_core::views::{TaskList, TaskStats};
use uuid::Uuid;

use super::{Context, Plan, fields};
use crate::args::{EnqueueArgs, TaskAction, TaskArgs, TaskListArgs};
use crate::config::AppConfig;
use crate::error::{CliError, Result};
use crate::output::{Printer, TaskReport};

/// A validated task action.
#[derive(Debug)]
pub(crate) enum Action {
    Enqueue(Box<NewTask>),
    Lease(lease::Input),
    Cancel(Uuid),
    Get(Uuid),
    List(ListTasks),
    Stats,
}

/// Checks the action's flags; opens nothing.
pub(crate) fn parse(args: TaskArgs, app: &AppConfig) -> Result<Plan> {
    let tenant = fields::tenant(args.tenant, app)?;
    let action = match args.action {
        TaskAction::Enqueue(args) => Action::Enqueue(Box::new(parse_enqueue(args, &tenant)?)),
        TaskAction::Claim(args) => Action::Lease(lease::parse_claim(args, &tenant)?),
        TaskAction::Heartbeat(args) => Action::Lease(lease::parse_heartbeat(args)?),
        TaskAction::Complete(args) => Action::Lease(lease::parse_complete(args)?),
        TaskAction::Fail(args) => Action::Lease(lease::parse_fail(args)?),
        TaskAction::Cancel(args) => Action::Cancel(task_id(&args.id)?),
        TaskAction::Get(args) => Action::Get(task_id(&args.id)?),
        TaskAction::List(args) => Action::List(parse_list(args, &tenant)?),
        TaskAction::Stats => Action::Stats,
    };
    Ok(Plan::tenanted(tenant, action, run))
}

/// A task id argument.
fn task_id(text: &str) -> Result<Uuid> {
    fields::uuid("ID", text)
}

/// A JSON flag (`--payload`, `--result`), inline or `@FILE`; null when absent.
fn json_or_null(flag: &str, text: Option<&str>) -> Result<Value> {
    text.map_or(Ok(Value::Null), |text| fields::json(flag, text))
}

/// `task enqueue KIND [...]`.
fn parse_enqueue(args: EnqueueArgs, tenant: &str) -> Result<NewTask> {
    let mut task = NewTask::new(tenant, args.kind);
    task.payload = json_or_null("--payload", args.payload.as_deref())?;
    task.priority = args.priority.unwrap_or(0);
    task.target_agent = args.agent;
    task.dedup_key = args.dedup_key;
    task.not_before = fields::opt_time("--not-before", args.not_before.as_deref())?;
    if let Some(max_attempts) = args.max_attempts {
        task.max_attempts = max_attempts;
    }
    task.retry_backoff_ms = match args.retry_backoff {
        // Zero is a valid backoff here (retry at once), unlike a lease.
        Some(0.0) => 0,
        Some(seconds) => fields::seconds_to_ms("--retry-backoff", seconds, MAX_RETRY_DELAY_MS / 1000)?,
        None => DEFAULT_RETRY_BACKOFF_MS,
    };
    task.session_id = args.session;
    task.validate().map_err(|e| {
        fields::named_field(e, |field| match field {
            "kind" => "KIND".to_owned(),
            "target_agent" => "--agent".to_owned(),
            "session_id" => "--session".to_owned(),
            "retry_backoff_ms" => "--retry-backoff".to_owned(),
            _ if field.starts_with("payload") => format!("--{field}"),
            other => format!("--{}", other.replace('_', "-")),
        })
    })?;
    Ok(task)
}

/// `task list [...]`.
fn parse_list(args: TaskListArgs, tenant: &str) -> Result<ListTasks> {
    fields::identifiers("--kind", &args.kinds)?;
    if let Some(session) = &args.session {
        fields::identifier("--session", session)?;
    }
    let statuses = fields::all_of::<TaskStatus>("--status", &args.statuses)?;
    let (limit, offset) = fields::page(args.page)?;
    Ok(ListTasks { tenant: tenant.to_owned(), statuses, kinds: args.kinds, session_id: args.session, limit, offset })
}

/// Runs the action: an unknown id exits 2, a lost lease or a finished task exits 3.
async fn run(ctx: &Context, tenant: &str, action: Action, printer: &mut Printer) -> Result<()> {
    let queue = ctx.stores.tasks.as_ref();
    match action {
        Action::Enqueue(task) => printer.report(&queue.enqueue(*task).await?),
        Action::Lease(input) => lease::run(queue, tenant, input, printer).await,
        Action::Cancel(id) => {
            let task = queue.cancel(tenant, id).await?;
            printer.report(&TaskReport::new(Some(task)).headline(format!("cancelled task {id}")))
        }
        Action::Get(id) => {
            let task = queue.get_task(tenant, id).await?.ok_or_else(|| not_found(tenant, id))?;
            printer.report(&TaskReport::new(Some(task)))
        }
        Action::List(request) => printer.report(&TaskList::new(queue.list_tasks(&request).await?)),
        Action::Stats => printer.report(&TaskStats::new(queue.task_stats(tenant).await?)),
    }
}

/// "task ID in tenant T was not found" (exit 2, like any unknown id).
fn not_found(tenant: &str, id: Uuid) -> CliError {
    StorageError::NotFound { what: format!("task {id} in tenant `{tenant}`") }.into()
}
