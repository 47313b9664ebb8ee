//! `memory space show|set` (the embedding space memory vectors belong to) and `memory stale mark|list|purge`.

use storage_core::memory::ChangeContext;
use storage_core::views::MemorySpaceView;
use storage_core::{EmbeddingSpace, ErrorKind, StorageError, Uninitialized};

use super::change;
use crate::args::{SpaceAction, SpaceArgs, StaleAction, StaleArgs};
use crate::commands::Context;
use crate::commands::fields;
use crate::commands::init::{SpaceSpec, space_from};
use crate::config::AppConfig;
use crate::error::{CliError, Result};
use crate::output::{MemoryListReport, Printer, StaleReport};

/// A validated space or stale action.
#[derive(Debug)]
pub(crate) enum Input {
    Show,
    Set { space: SpaceSpec, replace: bool },
    Mark { tenant: String, model: Option<String> },
    List { tenant: String, limit: usize },
    Purge { tenant: String, context: ChangeContext },
}

/// `memory space show|set`.
pub(super) fn parse_space(args: SpaceArgs, app: &AppConfig) -> Result<Input> {
    match args.action {
        SpaceAction::Show => Ok(Input::Show),
        SpaceAction::Set(set) => {
            let space = space_from(set.space, &app.embedding)?;
            if matches!(space, SpaceSpec::KeywordOnly) {
                return Err(CliError::usage(
                    "--dimensions: required, or --provider P --model M to learn them from the model (or \
                     `embedding.dimensions` in the configuration)",
                ));
            }
            Ok(Input::Set { space, replace: set.replace })
        }
    }
}

/// `memory stale mark|list|purge`.
pub(super) fn parse_stale(args: StaleArgs, tenant: String) -> Result<Input> {
    match args.action {
        StaleAction::Mark { model } => {
            if let Some(model) = &model {
                fields::identifier("--model", model)?;
            }
            Ok(Input::Mark { tenant, model })
        }
        StaleAction::List { limit } => Ok(Input::List { tenant, limit: fields::limit("--limit", limit, 50)? }),
        StaleAction::Purge { yes, change: args } => {
            if !yes {
                return Err(CliError::usage("--yes: required: `memory stale purge` deletes every stale memory"));
            }
            Ok(Input::Purge { tenant, context: change(args)? })
        }
    }
}

/// Records `space` as the memory embedding space; `replace` switches from another one.
async fn set_space(
    store: &dyn storage_core::memory::MemoryStore,
    space: EmbeddingSpace,
    replace: bool,
    printer: &mut Printer,
) -> Result<()> {
    if replace {
        let marked = store.replace_memory_embedding_space(&space).await?;
        return printer.report(&MemorySpaceView { embedding_space: Some(space), stale_marked: Some(marked) });
    }
    store.set_memory_embedding_space(&space).await.map_err(|error| match error.kind() {
        ErrorKind::IncompatibleState => CliError::remedied(
            error,
            "to switch, add --replace: memories embedded by another model become stale (`brainstore memory \
     stale list`)",
        ),
        _ => error.into(),
    })?;
    printer.report(&MemorySpaceView { embedding_space: Some(space), stale_marked: None })
}

/// Runs the action.
pub(super) async fn run(ctx: &Context, input: Input, printer: &mut Printer) -> Result<()> {
    let store = ctx.stores.memories.as_ref();
    match input {
        Input::Show => {
            let embedding_space = store.memory_embedding_space().await?;
            printer.report(&MemorySpaceView { embedding_space, stale_marked: None })
        }
        Input::Set { space, replace } => {
            let Some(space) = space.resolve(&ctx.resolver).await? else {
                return Err(CliError::Internal("`memory space set` without a space".to_owned()));
            };
            set_space(store, space, replace, printer).await
        }
        Input::Mark { tenant, model } => {
            let model = match model {
                Some(model) => model,
                None => store.memory_embedding_space().await?.and_then(|space| space.model).ok_or_else(|| {
                    let what = Uninitialized::Other { what: "the memory embedding space's model".to_owned() };
                    CliError::remedied(
                        StorageError::NotInitialized { what, detail: None },
                        "give --model, or record one with `brainstore memory space set --dimensions N --model M`",
                    )
                })?,
            };
            let count = store.mark_stale(&tenant, &model).await?;
            printer.report(&StaleReport { action: "marked", count })
        }
        Input::List { tenant, limit } => {
            let memories = store.stale_memories(&tenant, limit).await?;
            printer.report(&MemoryListReport::new(memories, 0))
        }
        Input::Purge { tenant, context } => {
            let count = store.purge_stale(&tenant, &context).await?;
            printer.report(&StaleReport { action: "purged", count })
        }
    }
}
