//! `brainstore collections list|create|bm25|drop`.

use storage_core::keyword::bm25;
use storage_core::views::Collections;
use storage_core::{Bm25Params, CollectionName, StorageError};

use super::Context;
use super::init::{SpaceSpec, space_from};
use crate::args::{CollectionsAction, CollectionsArgs};
use crate::config::AppConfig;
use crate::error::{CliError, Result};
use crate::output::Printer;

/// A validated `collections` action.
#[derive(Debug)]
pub(crate) enum Input {
    List,
    Create { name: CollectionName, space: SpaceSpec },
    Bm25 { name: CollectionName, k1: Option<f64>, b: Option<f64> },
    Drop { name: CollectionName },
}

/// Checks names, the embedding space and `--yes`.
pub(crate) fn parse(args: CollectionsArgs, app: &AppConfig) -> Result<Input> {
    match args.action {
        CollectionsAction::List => Ok(Input::List),
        CollectionsAction::Create { name, space } => {
            Ok(Input::Create { name: CollectionName::new(name)?, space: space_from(space, &app.embedding)? })
        }
        CollectionsAction::Bm25 { name, k1, b } => {
            // Each given value is checked here, before the store is opened.
            Bm25Params { k1: k1.unwrap_or(bm25::K1), b: b.unwrap_or(bm25::B) }
                .validate()
                .map_err(|e| super::flag_error("", e))?;
            Ok(Input::Bm25 { name: CollectionName::new(name)?, k1, b })
        }
        CollectionsAction::Drop { name, yes } => {
            let name = CollectionName::new(name)?;
            if !yes {
                return Err(CliError::usage(format!(
                    "dropping collection `{name}` deletes it and every chunk in it; pass --yes to confirm"
                )));
            }
            Ok(Input::Drop { name })
        }
    }
}

/// Lists, creates (initializing the store first) or drops.
pub(crate) async fn run(ctx: &Context, input: Input, printer: &mut Printer) -> Result<()> {
    let store = ctx.store();
    let collections = match input {
        Input::List => store.list_collections().await?,
        Input::Create { name, space } => {
            store.initialize().await?;
            let space = space.resolve(&ctx.resolver).await?;
            vec![store.create_collection(&name, space.as_ref()).await?]
        }
        Input::Bm25 { name, k1, b } => {
            let current = store.collection(&name).await?.ok_or_else(|| StorageError::missing_collection(&name))?;
            let params = Bm25Params { k1: k1.unwrap_or(current.bm25.k1), b: b.unwrap_or(current.bm25.b) };
            store.set_bm25_params(&name, params).await?;
            vec![store.collection(&name).await?.ok_or_else(|| StorageError::missing_collection(&name))?]
        }
        Input::Drop { name } => {
            if !store.drop_collection(&name).await? {
                crate::progress::note(&format!("collection `{name}` did not exist"));
            }
            store.list_collections().await?
        }
    };
    printer.report(&Collections { collections })
}
