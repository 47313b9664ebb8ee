//! `brainstore init`: create or migrate the store and create the collection with its embedding space; idempotent.

use storage_core::{EmbeddingSpace, Metric};

use super::Context;
use crate::args::InitArgs;
use crate::config::{AppConfig, EmbeddingSection};
use crate::error::{CliError, Result};
use crate::output::{InitReport, Printer};

/// Validated `init` arguments.
#[derive(Debug)]
pub(crate) struct Input {
    /// The space to record; `None` makes a keyword-only collection.
    pub(crate) space: Option<EmbeddingSpace>,
}

/// The embedding space from the flags, falling back to the `embedding:` section for each value.
pub(crate) fn space_from(args: InitArgs, defaults: &EmbeddingSection) -> Result<Option<EmbeddingSpace>> {
    let metric = match args.metric {
        Some(text) => Some(text.parse::<Metric>().map_err(|e| CliError::usage(format!("--{e}")))?),
        None => defaults.metric,
    };
    let provider = args.provider.or_else(|| defaults.provider.clone());
    let model = args.model.or_else(|| defaults.model.clone());
    let Some(dimensions) = args.dimensions.or(defaults.dimensions) else {
        if provider.is_some() || model.is_some() || metric.is_some() {
            return Err(CliError::usage(
                "--provider, --model and --metric describe an embedding space and need --dimensions N",
            ));
        }
        return Ok(None);
    };
    let space = EmbeddingSpace { provider, model, dimensions, metric: metric.unwrap_or_default() };
    space.validate().map_err(|e| CliError::usage(format!("--{e}")))?;
    Ok(Some(space))
}

/// Checks the embedding space flags.
pub(crate) fn parse(args: InitArgs, app: &AppConfig) -> Result<Input> {
    Ok(Input { space: space_from(args, &app.embedding)? })
}

/// Migrates the store and creates the collection; a different recorded space fails with exit 3.
pub(crate) async fn run(ctx: &Context, input: Input, printer: &mut Printer) -> Result<()> {
    let store = ctx.store();
    store.initialize().await?;
    let info = store.create_collection(&ctx.collection, input.space.as_ref()).await?;
    let health = store.health().await?;
    printer.report(&InitReport {
        backend: store.backend().to_owned(),
        location: health.location,
        collection: info.name.to_string(),
        embedding: info.embedding_space,
        count: info.count,
    })
}
