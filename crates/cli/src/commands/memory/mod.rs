//! `brainstore memory …`: validate the action's flags into typed input, then run it against the store's `MemoryStore`.

mod change;
mod read;
mod recall;
mod remember;
mod space;

use storage_core::StorageError;
use storage_core::memory::{ChangeContext, Scope};
use uuid::Uuid;

use super::Context;
use super::fields;
use crate::args::{ChangeArgs, MemoryAction, MemoryArgs, ScopeArgs};
use crate::config::AppConfig;
use crate::error::{CliError, Result};
use crate::output::Printer;

/// A validated memory action.
#[derive(Debug)]
pub(crate) enum Input {
    Remember(remember::Input),
    Recall(recall::Input),
    Read(read::Input),
    Change(change::Input),
    Space(space::Input),
}

/// Checks the action's flags; opens nothing.
pub(crate) fn parse(args: MemoryArgs, app: &AppConfig) -> Result<Input> {
    let tenant = fields::tenant(args.tenant, app)?;
    Ok(match args.action {
        MemoryAction::Remember(args) => Input::Remember(remember::parse(args, tenant, app)?),
        MemoryAction::Recall(args) => Input::Recall(recall::parse(args, tenant, app)?),
        MemoryAction::Get(args) => Input::Read(read::parse_get(&args, tenant)?),
        MemoryAction::List(args) => Input::Read(read::parse_list(args, tenant)?),
        MemoryAction::History(args) => Input::Read(read::parse_history(&args, tenant)?),
        MemoryAction::Supersede(args) => Input::Change(change::parse_supersede(args, tenant)?),
        MemoryAction::Dispute(args) => Input::Change(change::parse_status(args, tenant, change::Status::Dispute)?),
        MemoryAction::Archive(args) => Input::Change(change::parse_status(args, tenant, change::Status::Archive)?),
        MemoryAction::Forget(args) => Input::Change(change::parse_forget(args, tenant)?),
        MemoryAction::Expire(args) => Input::Change(change::parse_expire(args, tenant)?),
        MemoryAction::Space(args) => Input::Space(space::parse_space(args, app)?),
        MemoryAction::Stale(args) => Input::Space(space::parse_stale(args, tenant)?),
    })
}

/// Runs the action.
pub(crate) async fn run(ctx: &Context, input: Input, printer: &mut Printer) -> Result<()> {
    match input {
        Input::Remember(input) => remember::run(ctx, input, printer).await,
        Input::Recall(input) => recall::run(ctx, input, printer).await,
        Input::Read(input) => read::run(ctx, input, printer).await,
        Input::Change(input) => change::run(ctx, input, printer).await,
        Input::Space(input) => space::run(ctx, input, printer).await,
    }
}

/// The tenant narrowed by `--agent`, `--user` and `--conversation`.
fn scope(tenant: String, args: ScopeArgs) -> Result<Scope> {
    let scope = Scope { tenant, agent: args.agent, user: args.user, conversation: args.conversation };
    scope.validate().map_err(|e| fields::named_field(e, flag_of))?;
    Ok(scope)
}

/// The audit context: `--actor` (default `cli`) and `--reason`.
fn change(args: ChangeArgs) -> Result<ChangeContext> {
    let actor = args.actor.unwrap_or_else(|| "cli".to_owned());
    fields::identifier("--actor", &actor)?;
    if let Some(reason) = &args.reason
        && reason.contains('\0')
    {
        return Err(CliError::usage("--reason: must not contain a NUL byte"));
    }
    Ok(ChangeContext { actor, reason: args.reason })
}

/// A memory id argument.
fn memory_id(text: &str) -> Result<Uuid> {
    fields::uuid("ID", text)
}

/// The flag that sets a `NewMemory` or `Scope` field, for core's validation errors.
fn flag_of(field: &str) -> String {
    let field = field.strip_prefix("scope.").unwrap_or(field);
    match field {
        "content" => "CONTENT".to_owned(),
        "text" => "TEXT".to_owned(),
        _ if field.starts_with("tags[") => "--tag".to_owned(),
        _ if field.starts_with("related") => "--related".to_owned(),
        _ if field.starts_with("metadata") => "--metadata".to_owned(),
        _ => format!("--{}", field.replace('_', "-")),
    }
}

/// "memory ID in tenant T was not found" (exit 2, like any unknown id).
fn not_found(tenant: &str, id: Uuid) -> CliError {
    StorageError::NotFound { what: format!("memory {id} in tenant `{tenant}`") }.into()
}
