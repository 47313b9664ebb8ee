//! `session agent register|heartbeat|list`: the tenant's agent registry.

use storage_core::session::{AgentStatus, NewAgent};
use storage_core::views::AgentList;

use crate::args::{AgentAction, AgentArgs};
use crate::commands::Context;
use crate::commands::fields;
use crate::error::Result;
use crate::output::{AgentReport, Printer};

/// A validated agent action.
#[derive(Debug)]
pub(crate) enum Input {
    Register(NewAgent),
    Heartbeat { name: String, status: AgentStatus },
    List(Option<AgentStatus>),
}

/// Checks the flags.
pub(super) fn parse(args: AgentArgs) -> Result<Input> {
    Ok(match args.action {
        AgentAction::Register { name, kind, capabilities, metadata } => {
            let agent = NewAgent { name, kind, capabilities, metadata: fields::metadata(metadata.as_deref())? };
            agent.validate().map_err(|e| {
                fields::named_field(e, |field| match field {
                    "name" => "NAME".to_owned(),
                    _ if field.starts_with("capabilities") => "--capability".to_owned(),
                    other => format!("--{other}"),
                })
            })?;
            Input::Register(agent)
        }
        AgentAction::Heartbeat { name, status } => {
            fields::identifier("NAME", &name)?;
            let status = status.as_deref().map_or(Ok(AgentStatus::Available), |s| fields::one_of("--status", s))?;
            Input::Heartbeat { name, status }
        }
        AgentAction::List { status } => {
            Input::List(status.as_deref().map(|s| fields::one_of("--status", s)).transpose()?)
        }
    })
}

/// Runs the action; a heartbeat of an unregistered agent exits 2.
pub(super) async fn run(ctx: &Context, tenant: &str, input: Input, printer: &mut Printer) -> Result<()> {
    let store = ctx.stores.sessions.as_ref();
    match input {
        Input::Register(agent) => printer.report(&AgentReport::new(store.register_agent(tenant, agent).await?)),
        Input::Heartbeat { name, status } => {
            printer.report(&AgentReport::new(store.agent_heartbeat(tenant, &name, status).await?))
        }
        Input::List(status) => printer.report(&AgentList::new(store.list_agents(tenant, status).await?)),
    }
}
