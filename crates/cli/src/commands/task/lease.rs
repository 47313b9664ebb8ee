//! `task claim|heartbeat|complete|fail`: the lease life cycle of a worker.

use serde_json::Value;
use storage_core::task::{ClaimRequest, TaskQueue};
use uuid::Uuid;

use super::json_or_null;
use crate::args::{ClaimArgs, CompleteArgs, FailArgs, HeartbeatArgs, LeaseArgs};
use crate::commands::fields;
use crate::error::{CliError, Result};
use crate::output::{Printer, TaskReport, time_text};

/// The lease when `--lease` is not given: long enough for a shell-script worker, short enough that a
/// crashed one's task is redone within minutes.
const DEFAULT_LEASE_SECONDS: f64 = 300.0;

/// The longest lease core accepts, in seconds.
const MAX_LEASE_SECONDS: u64 = 86_400;

/// A validated lease action.
#[derive(Debug)]
pub(crate) enum Input {
    Claim(ClaimRequest),
    Heartbeat { lease: Lease, lease_ms: u64 },
    Complete { lease: Lease, result: Value },
    Fail { lease: Lease, error: String },
}

/// A task id and the lease that holds it.
#[derive(Debug)]
pub(crate) struct Lease {
    id: Uuid,
    lease_id: Uuid,
}

fn lease(args: &LeaseArgs) -> Result<Lease> {
    Ok(Lease { id: fields::uuid("ID", &args.task.id)?, lease_id: fields::uuid("--lease-id", &args.lease_id)? })
}

fn lease_ms(seconds: Option<f64>) -> Result<u64> {
    fields::seconds_to_ms("--lease", seconds.unwrap_or(DEFAULT_LEASE_SECONDS), MAX_LEASE_SECONDS)
}

/// `task claim --agent A [--kind K]... [--lease S]`.
pub(super) fn parse_claim(args: ClaimArgs, tenant: &str) -> Result<Input> {
    fields::identifier("--agent", &args.agent)?;
    fields::identifiers("--kind", &args.kinds)?;
    let mut request = ClaimRequest::new(tenant, args.agent, lease_ms(args.lease)?);
    request.kinds = args.kinds;
    Ok(Input::Claim(request))
}

/// `task heartbeat ID --lease-id L [--lease S]`.
pub(super) fn parse_heartbeat(args: HeartbeatArgs) -> Result<Input> {
    Ok(Input::Heartbeat { lease: lease(&args.lease)?, lease_ms: lease_ms(args.seconds)? })
}

/// `task complete ID --lease-id L [--result JSON]`.
pub(super) fn parse_complete(args: CompleteArgs) -> Result<Input> {
    let result = json_or_null("--result", args.result.as_deref())?;
    Ok(Input::Complete { lease: lease(&args.lease)?, result })
}

/// `task fail ID --lease-id L --error TEXT`.
pub(super) fn parse_fail(args: FailArgs) -> Result<Input> {
    if args.error.trim().is_empty() || args.error.contains('\0') {
        return Err(CliError::usage("--error: must say what went wrong, without NUL"));
    }
    Ok(Input::Fail { lease: lease(&args.lease)?, error: args.error })
}

/// Runs the action. Nothing to claim is a success; a lost lease is `Conflict` (exit 3).
pub(super) async fn run(queue: &dyn TaskQueue, tenant: &str, input: Input, printer: &mut Printer) -> Result<()> {
    match input {
        Input::Claim(request) => printer.report(&TaskReport::new(queue.claim(&request).await?).claim()),
        Input::Heartbeat { lease, lease_ms } => {
            let task = queue.heartbeat(tenant, lease.id, lease.lease_id, lease_ms).await?;
            printer.report(&TaskReport::new(Some(task)).headline(format!("extended the lease of task {}", lease.id)))
        }
        Input::Complete { lease, result } => {
            let task = queue.complete(tenant, lease.id, lease.lease_id, result).await?;
            printer.report(&TaskReport::new(Some(task)).headline(format!("completed task {}", lease.id)))
        }
        Input::Fail { lease, error } => {
            let task = queue.fail(tenant, lease.id, lease.lease_id, &error).await?;
            let outcome = if task.status.is_terminal() {
                "dead-lettered".to_owned()
            } else {
                format!("claimable again from {}", time_text(&task.not_before))
            };
            let headline =
                format!("attempt {} of {} of task {} failed: {outcome}", task.attempts, task.max_attempts, lease.id);
            printer.report(&TaskReport::new(Some(task)).headline(headline))
        }
    }
}
