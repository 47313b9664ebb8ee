//! `brainstore memory …`: validate the action's flags into typed input, then run it against the store's `MemoryStore`.

mod change;
mod read;
mod recall;
mod remember;
mod space;

use storage_core::StorageError;
use storage_core::memory::{ChangeContext, Scope};
use uuid::Uuid;

use super::{Plan, fields};
use crate::args::{ChangeArgs, MemoryAction, MemoryArgs, ScopeArgs};
use crate::config::AppConfig;
use crate::error::{CliError, Result};

/// Checks the action's flags; opens nothing.
pub(crate) fn parse(args: MemoryArgs, app: &AppConfig) -> Result<Plan> {
    let tenant = fields::tenant(args.tenant, app)?;
    Ok(match args.action {
        MemoryAction::Remember(args) => Plan::new(remember::parse(args, tenant, app)?, remember::run),
        MemoryAction::Recall(args) => Plan::new(recall::parse(args, tenant, app)?, recall::run),
        MemoryAction::Get(args) => Plan::new(read::parse_get(&args, tenant)?, read::run),
        MemoryAction::List(args) => Plan::new(read::parse_list(args, tenant)?, read::run),
        MemoryAction::History(args) => Plan::new(read::parse_history(&args, tenant)?, read::run),
        MemoryAction::Supersede(args) => Plan::new(change::parse_supersede(args, tenant)?, change::run),
        MemoryAction::Dispute(args) => {
            Plan::new(change::parse_status(args, tenant, change::Status::Dispute)?, change::run)
        }
        MemoryAction::Archive(args) => {
            Plan::new(change::parse_status(args, tenant, change::Status::Archive)?, change::run)
        }
        MemoryAction::Forget(args) => Plan::new(change::parse_forget(args, tenant)?, change::run),
        MemoryAction::Expire(args) => Plan::new(change::parse_expire(args, tenant)?, change::run),
        MemoryAction::Space(args) => Plan::new(space::parse_space(args, app)?, space::run),
        MemoryAction::Stale(args) => Plan::new(space::parse_stale(args, tenant)?, space::run),
    })
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
