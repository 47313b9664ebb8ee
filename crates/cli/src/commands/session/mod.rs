//! `brainstore session …`: validate the action's flags into typed input, then run it against the store's `SessionStore`.

mod agents;
mod artifacts;
mod messages;
mod sessions;

use storage_core::StorageError;

use super::Context;
use super::fields;
use crate::args::{SessionAction, SessionArgs};
use crate::config::AppConfig;
use crate::error::{CliError, Result};
use crate::output::Printer;

/// A validated session action, with its tenant.
pub(crate) type Input = super::Tenanted<Action>;

#[derive(Debug)]
pub(crate) enum Action {
    Session(sessions::Input),
    Message(messages::Input),
    Artifact(artifacts::Input),
    Agent(agents::Input),
}

/// Checks the action's flags; opens nothing.
pub(crate) fn parse(args: SessionArgs, app: &AppConfig) -> Result<Input> {
    let tenant = fields::tenant(args.tenant, app)?;
    let action = match args.action {
        SessionAction::Create(args) => Action::Session(sessions::parse_create(args)?),
        SessionAction::Get(args) => Action::Session(sessions::parse_get(args)?),
        SessionAction::List(args) => Action::Session(sessions::parse_list(&args)?),
        SessionAction::Status(args) => Action::Session(sessions::parse_status(args)?),
        SessionAction::Summary(args) => Action::Session(sessions::parse_summary(args)?),
        SessionAction::Append(args) => Action::Message(messages::parse_append(args)?),
        SessionAction::Messages(args) => Action::Message(messages::parse_list(args)?),
        SessionAction::Search(args) => Action::Message(messages::parse_search(args)?),
        SessionAction::Artifact(args) => Action::Artifact(artifacts::parse(args)?),
        SessionAction::Agent(args) => Action::Agent(agents::parse(args)?),
    };
    Ok(Input { tenant, action })
}

/// Runs the action.
pub(crate) async fn run(ctx: &Context, input: Input, printer: &mut Printer) -> Result<()> {
    let tenant = input.tenant.as_str();
    match input.action {
        Action::Session(action) => sessions::run(ctx, tenant, action, printer).await,
        Action::Message(action) => messages::run(ctx, tenant, action, printer).await,
        Action::Artifact(action) => artifacts::run(ctx, tenant, action, printer).await,
        Action::Agent(action) => agents::run(ctx, tenant, action, printer).await,
    }
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
