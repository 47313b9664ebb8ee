//! `session append|messages|search`: a session's transcript.

use storage_core::session::{ListMessages, MessageRole, NewMessage, TextSearch};
use storage_core::views::{MessageHits, MessageList};

use super::session_id;
use crate::args::{AppendArgs, MessagesArgs, TextSearchArgs};
use crate::commands::Context;
use crate::commands::fields;
use crate::error::{CliError, Result};
use crate::output::Printer;

/// A validated message action.
#[derive(Debug)]
pub(crate) enum Input {
    Append { session: String, message: NewMessage },
    List { session: String, after: Option<i64>, limit: usize, all: bool },
    Search(TextSearch),
}

/// `session append SESSION --role R (CONTENT | --file F)`.
pub(super) fn parse_append(args: AppendArgs) -> Result<Input> {
    let session = session_id("SESSION", &args.session)?;
    let role: MessageRole = fields::one_of("--role", &args.role)?;
    let mut message = NewMessage::new(role, fields::content(args.content.content, args.content.file.as_deref())?);
    message.id = args.id;
    if let Some(format) = args.content.format {
        message.format = format;
    }
    message.metadata = fields::metadata(args.content.metadata.as_deref())?;
    message.validate().map_err(|e| fields::named_field(e, content_flag))?;
    Ok(Input::Append { session, message })
}

/// The flag of a message or artifact field named in core's error.
pub(super) fn content_flag(field: &str) -> String {
    match field {
        "content" => "CONTENT".to_owned(),
        "task_id" => "--task".to_owned(),
        other => format!("--{}", other.replace('_', "-")),
    }
}

/// `session messages SESSION [--after SEQ] [--limit N | --all]`.
pub(super) fn parse_list(args: MessagesArgs) -> Result<Input> {
    let limit = if args.all { fields::MAX_PAGE } else { fields::limit("--limit", args.limit, 100)? };
    Ok(Input::List { session: session_id("SESSION", &args.session)?, after: args.after, limit, all: args.all })
}

/// `session search QUERY [--session S] [--limit N]` in `tenant`, and the same for artifacts.
pub(super) fn parse_text_search(args: TextSearchArgs, tenant: &str) -> Result<TextSearch> {
    if args.query.trim().is_empty() || args.query.contains('\0') {
        return Err(CliError::usage("QUERY: must hold at least one word, without NUL"));
    }
    let session_id = args.session.map(|id| session_id("--session", &id)).transpose()?;
    Ok(TextSearch {
        tenant: tenant.to_owned(),
        session_id,
        query: args.query,
        limit: fields::limit("--limit", args.limit, 10)?,
    })
}

/// `session search`.
pub(super) fn parse_search(args: TextSearchArgs, tenant: &str) -> Result<Input> {
    Ok(Input::Search(parse_text_search(args, tenant)?))
}

/// Runs the action; an unknown session exits 2.
pub(super) async fn run(ctx: &Context, tenant: &str, input: Input, printer: &mut Printer) -> Result<()> {
    let store = ctx.stores.sessions.as_ref();
    match input {
        Input::Append { session, message } => printer.report(&store.append_message(tenant, &session, message).await?),
        Input::List { session, after, limit, all } => {
            let mut request = ListMessages { tenant: tenant.to_owned(), session_id: session, after_seq: after, limit };
            let mut messages = store.list_messages(&request).await?;
            // `--all` pages by sequence number until a short page: a transcript can outgrow one page.
            let mut page = messages.len();
            while all && page == limit {
                request.after_seq = messages.last().map(|message| message.seq);
                let next = store.list_messages(&request).await?;
                page = next.len();
                messages.extend(next);
            }
            // An empty page of an unknown session reads like an empty session: say which it is.
            let session = &request.session_id;
            if messages.is_empty() && store.get_session(tenant, session).await?.is_none() {
                return Err(super::not_found(&format!("session `{session}`"), tenant));
            }
            printer.report(&MessageList::new(messages))
        }
        Input::Search(search) => {
            let hits = store.search_messages(&search).await?;
            printer.report(&MessageHits::new(hits))
        }
    }
}
