//! `session artifact put|get|list|search`.

use storage_core::session::{NewArtifact, TextSearch};
use storage_core::views::{ArtifactHits, ArtifactList};

use super::messages::{content_flag, parse_text_search};
use super::{not_found, session_id};
use crate::args::{ArtifactAction, ArtifactArgs};
use crate::commands::Context;
use crate::commands::fields;
use crate::error::Result;
use crate::output::{ArtifactReport, Printer};

/// A validated artifact action.
#[derive(Debug)]
pub(crate) enum Input {
    Put { session: String, artifact: NewArtifact },
    Get { session: String, id: String },
    List(String),
    Search(TextSearch),
}

/// Checks the flags; a search runs in `tenant`.
pub(super) fn parse(args: ArtifactArgs, tenant: &str) -> Result<Input> {
    Ok(match args.action {
        ArtifactAction::Put(args) => {
            let session = session_id("SESSION", &args.session)?;
            let content = fields::content(args.content.content, args.content.file.as_deref())?;
            let mut artifact = NewArtifact::new(args.kind, args.name, content);
            artifact.id = args.id;
            artifact.task_id = args.task;
            if let Some(format) = args.content.format {
                artifact.format = format;
            }
            artifact.metadata = fields::metadata(args.content.metadata.as_deref())?;
            artifact.validate().map_err(|e| fields::named_field(e, content_flag))?;
            Input::Put { session, artifact }
        }
        ArtifactAction::Get(args) => {
            Input::Get { session: session_id("SESSION", &args.session)?, id: session_id("ID", &args.id)? }
        }
        ArtifactAction::List(args) => Input::List(session_id("SESSION", &args.id)?),
        ArtifactAction::Search(args) => Input::Search(parse_text_search(args, tenant)?),
    })
}

/// Runs the action; an unknown session or artifact exits 2.
pub(super) async fn run(ctx: &Context, tenant: &str, input: Input, printer: &mut Printer) -> Result<()> {
    let store = ctx.stores.sessions.as_ref();
    match input {
        Input::Put { session, artifact } => {
            printer.report(&ArtifactReport::new(store.put_artifact(tenant, &session, artifact).await?))
        }
        Input::Get { session, id } => {
            let artifact = store
                .get_artifact(tenant, &session, &id)
                .await?
                .ok_or_else(|| not_found(&format!("artifact `{id}` of session `{session}`"), tenant))?;
            printer.report(&ArtifactReport::new(artifact))
        }
        Input::List(session) => {
            let artifacts = store.list_artifacts(tenant, &session).await?;
            if artifacts.is_empty() && store.get_session(tenant, &session).await?.is_none() {
                return Err(not_found(&format!("session `{session}`"), tenant));
            }
            printer.report(&ArtifactList::new(artifacts))
        }
        Input::Search(search) => {
            let hits = store.search_artifacts(&search).await?;
            printer.report(&ArtifactHits::new(hits))
        }
    }
}
