//! `brainstore session …`: validate the action's flags into typed input, then run it against the store's `SessionStore`.

mod agents;
mod artifacts;
mod messages;
mod sessions;

use storage_core::StorageError;

use super::{Plan, fields};
use crate::args::{SessionAction, SessionArgs};
use crate::config::AppConfig;
use crate::error::{CliError, Result};

/// Checks the action's flags; opens nothing.
pub(crate) fn parse(args: SessionArgs, app: &AppConfig) -> Result<Plan> {
    let tenant = fields::tenant(args.tenant, app)?;
    Ok(match args.action {
        SessionAction::Create(args) => Plan::tenanted(tenant, sessions::parse_create(args)?, sessions::run),
        SessionAction::Get(args) => Plan::tenanted(tenant, sessions::parse_get(args)?, sessions::run),
        SessionAction::List(args) => Plan::tenanted(tenant, sessions::parse_list(&args)?, sessions::run),
        SessionAction::Status(args) => Plan::tenanted(tenant, sessions::parse_status(args)?, sessions::run),
        SessionAction::Summary(args) => Plan::tenanted(tenant, sessions::parse_summary(args)?, sessions::run),
        SessionAction::Append(args) => Plan::tenanted(tenant, messages::parse_append(args)?, messages::run),
        SessionAction::Messages(args) => Plan::tenanted(tenant, messages::parse_list(args)?, messages::run),
        SessionAction::Search(args) => {
            let input = messages::parse_search(args, &tenant)?;
            Plan::tenanted(tenant, input, messages::run)
        }
        SessionAction::Artifact(args) => {
            let input = artifacts::parse(args, &tenant)?;
            Plan::tenanted(tenant, input, artifacts::run)
        }
        SessionAction::Agent(args) => Plan::tenanted(tenant, agents::parse(args)?, agents::run),
    })
}

/// A session id argument.
fn session_id(flag: &str, id: &str) -> Result<String> {
    fields::identifier(flag, id)?;
    Ok(id.to_owned())
}

/// "session S in tenant T was not found" (exit 2, like any unknown id).
fn not_found(what: &str, tenant: &str) -> CliError {
    StorageError::NotFound { what: format!("{what} in tenant `{tenant}`") }.into()
}
