//! `session create|get|list|status|summary`.

use storage_core::session::{ListSessions, NewSession, SessionStatus};
use storage_core::views::SessionList;

use super::{not_found, session_id};
use crate::args::{SessionCreateArgs, SessionIdArgs, SessionListArgs, SessionStatusArgs};
use crate::commands::Context;
use crate::commands::fields;
use crate::error::Result;
use crate::output::{Printer, SessionReport};

/// A validated session action.
#[derive(Debug)]
pub(crate) enum Input {
    Create(NewSession),
    Get(String),
    List { statuses: Vec<SessionStatus>, limit: usize, offset: usize },
    Status { id: String, status: SessionStatus },
    Summary(String),
}

/// `session create`: the tenant is filled in when it runs.
pub(super) fn parse_create(args: SessionCreateArgs) -> Result<Input> {
    let session = NewSession {
        tenant: String::new(),
        id: args.id,
        title: args.title,
        participants: args.participants,
        metadata: fields::metadata(args.metadata.as_deref())?,
    };
    // Core's checks with a stand-in tenant (the real one is already checked), errors naming the flag.
    NewSession { tenant: "t".to_owned(), ..session.clone() }.validate().map_err(|e| {
        fields::named_field(e, |field| match field {
            _ if field.starts_with("participants") => "--participant".to_owned(),
            other => format!("--{other}"),
        })
    })?;
    Ok(Input::Create(session))
}

/// `session get SESSION`.
pub(super) fn parse_get(args: SessionIdArgs) -> Result<Input> {
    Ok(Input::Get(session_id("SESSION", &args.id)?))
}

/// `session list`.
pub(super) fn parse_list(args: &SessionListArgs) -> Result<Input> {
    let statuses = fields::all_of("--status", &args.statuses)?;
    let (limit, offset) = fields::page(args.page)?;
    Ok(Input::List { statuses, limit, offset })
}

/// `session status SESSION STATUS`.
pub(super) fn parse_status(args: SessionStatusArgs) -> Result<Input> {
    Ok(Input::Status { id: session_id("SESSION", &args.id)?, status: fields::one_of("STATUS", &args.status)? })
}

/// `session summary SESSION`.
pub(super) fn parse_summary(args: SessionIdArgs) -> Result<Input> {
    Ok(Input::Summary(session_id("SESSION", &args.id)?))
}

/// Runs the action; an unknown session exits 2.
pub(super) async fn run(ctx: &Context, tenant: &str, input: Input, printer: &mut Printer) -> Result<()> {
    let store = ctx.stores.sessions.as_ref();
    match input {
        Input::Create(session) => {
            let session = store.create_session(NewSession { tenant: tenant.to_owned(), ..session }).await?;
            printer.report(&SessionReport::new(session))
        }
        Input::Get(id) => {
            let session =
                store.get_session(tenant, &id).await?.ok_or_else(|| not_found(&format!("session `{id}`"), tenant))?;
            printer.report(&SessionReport::new(session))
        }
        Input::List { statuses, limit, offset } => {
            let request = ListSessions { tenant: tenant.to_owned(), statuses, limit, offset };
            printer.report(&SessionList::new(store.list_sessions(&request).await?))
        }
        Input::Status { id, status } => {
            let session = store.set_session_status(tenant, &id, status).await?;
            printer.report(&SessionReport::new(session))
        }
        Input::Summary(id) => printer.report(&store.session_summary(tenant, &id).await?),
    }
}
