//! `brainstore init`: create or migrate the store and create the collection with its embedding space; idempotent.

use ::embed::{ConfiguredResolver, DEFAULT_LOCAL_MODEL, ProviderKind};
use storage_core::{EmbeddingSpace, Metric};

use super::Context;
use crate::args::InitArgs;
use crate::config::{AppConfig, EmbeddingSection};
use crate::error::{CliError, Result};
use crate::output::{InitReport, Printer};

/// Validated `init` arguments.
#[derive(Debug)]
pub(crate) struct Input {
    /// The space to record.
    pub(crate) space: SpaceSpec,
}

/// The embedding space the flags (and the `embedding:` section) describe.
#[derive(Debug)]
pub(crate) enum SpaceSpec {
    /// No space: a keyword-only collection.
    KeywordOnly,
    /// Every value given.
    Known(EmbeddingSpace),
    /// A provider and model without dimensions: the model tells them (a local model is loaded, a server
    /// embeds one probe text).
    FromModel { provider: String, model: Option<String>, metric: Metric },
}

impl SpaceSpec {
    /// The space to record, learning the dimensions from the model when they were not given.
    pub(crate) async fn resolve(self, resolver: &ConfiguredResolver) -> Result<Option<EmbeddingSpace>> {
        match self {
            SpaceSpec::KeywordOnly => Ok(None),
            SpaceSpec::Known(space) => Ok(Some(space)),
            SpaceSpec::FromModel { provider, model, metric } => {
                Ok(Some(resolver.learn_space(Some(&provider), model.as_deref(), metric).await?))
            }
        }
    }
}

/// The embedding space from the flags, falling back to the `embedding:` section for each value.
pub(crate) fn space_from(args: InitArgs, defaults: &EmbeddingSection) -> Result<SpaceSpec> {
    let metric = match args.metric {
        Some(text) => Some(text.parse::<Metric>().map_err(|e| CliError::usage(format!("--{e}")))?),
        None => defaults.metric,
    };
    let provider = args.provider.or_else(|| defaults.provider.clone());
    let model = args.model.or_else(|| defaults.model.clone());
    let Some(dimensions) = args.dimensions.or(defaults.dimensions) else {
        return match provider {
            Some(provider) => {
                let kind = provider.parse::<ProviderKind>().map_err(|e| CliError::usage(format!("--{e}")))?;
                if model.is_none() && kind != ProviderKind::Local {
                    return Err(CliError::usage(format!(
                        "--model: required with --provider {provider} (the local provider defaults to \
                         {DEFAULT_LOCAL_MODEL})"
                    )));
                }
                Ok(SpaceSpec::FromModel { provider, model, metric: metric.unwrap_or_default() })
            }
            None if model.is_some() || metric.is_some() => Err(CliError::usage(
                "--model and --metric describe an embedding space and need --provider P (which tells the \
                 dimensions) or --dimensions N",
            )),
            None => Ok(SpaceSpec::KeywordOnly),
        };
    };
    let space = EmbeddingSpace { provider, model, dimensions, metric: metric.unwrap_or_default() };
    space.validate().map_err(|e| CliError::usage(format!("--{e}")))?;
    Ok(SpaceSpec::Known(space))
}

/// Checks the embedding space flags.
pub(crate) fn parse(args: InitArgs, app: &AppConfig) -> Result<Input> {
    Ok(Input { space: space_from(args, &app.embedding)? })
}

/// Migrates the store and creates the collection; a different recorded space fails with exit 3.
pub(crate) async fn run(ctx: &Context, input: Input, printer: &mut Printer) -> Result<()> {
    let store = ctx.store();
    store.initialize().await?;
    let space = input.space.resolve(&ctx.resolver).await?;
    let info = store.create_collection(&ctx.collection, space.as_ref()).await?;
    let health = store.health().await?;
    printer.report(&InitReport {
        backend: store.backend().to_owned(),
        location: health.location,
        collection: info.name.to_string(),
        embedding: info.embedding_space,
        count: info.count,
    })
}
