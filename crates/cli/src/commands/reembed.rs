//! `brainstore reembed [--memories] [--provider P] [--model M] [--dimensions N] [--model-path DIR]`:
//! re-embeds every chunk of the collection (or with `--memories` every memory) into a new embedding space
//! staged beside the current one, then switches (core's `reembed_collection` / `reembed_memories`). Killed, it resumes where it stopped when run again with the same space;
//! `--abandon` drops the staging instead. Searches answer from the current space until the switch.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use embed::{EmbeddingConfig, ProviderKind};
use serde::Serialize;
use storage_core::{
    DEFAULT_REEMBED_PAGE, EmbeddingSpace, MAX_LIST_LIMIT, ReembedProgress, reembed_collection, reembed_memories,
};

use super::Context;
use crate::config::EmbeddingSection;
use crate::error::{CliError, Result};
use crate::output::{Format, Printer, Report};
use crate::progress::{Progress, Unit};

/// The flags of `brainstore reembed`.
#[derive(Debug, Args)]
pub(crate) struct ReembedArgs {
    /// Provider of the new space: local, openai or ollama (default: `embedding.provider`).
    #[arg(long, value_name = "P")]
    pub(crate) provider: Option<String>,
    /// Model of the new space (local: a Hub id or short name, e.g. all-MiniLM-L6-v2; default:
    /// `embedding.model`).
    #[arg(long, value_name = "M")]
    pub(crate) model: Option<String>,
    /// Vector length of the new space: asked of a server; checked against a local model.
    #[arg(long, value_name = "N")]
    pub(crate) dimensions: Option<u32>,
    /// local: a folder with the model's files, tried before the Hugging Face cache.
    #[arg(long, value_name = "DIR")]
    pub(crate) model_path: Option<PathBuf>,
    /// openai / ollama: the server's base URL.
    #[arg(long, value_name = "URL")]
    pub(crate) base_url: Option<String>,
    /// openai / ollama: the NAME of the environment variable holding the API key.
    #[arg(long, value_name = "VAR")]
    pub(crate) api_key_env: Option<String>,
    /// Rows embedded and written per step, 1 to 10000; a kill loses at most one step.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_REEMBED_PAGE)]
    pub(crate) batch_size: usize,
    /// Re-embed the memory space (every tenant's memories) instead of the collection.
    #[arg(long)]
    pub(crate) memories: bool,
    /// Drop a staged re-embedding (its vectors too) and keep the current space.
    #[arg(long, conflicts_with_all = ["provider", "model", "dimensions", "model_path", "base_url", "api_key_env"])]
    pub(crate) abandon: bool,
}

/// A validated `reembed`.
#[derive(Debug)]
pub(crate) enum Input {
    /// Re-embed with this provider configuration, `page` rows per step.
    Run { config: EmbeddingConfig, page: usize, memories: bool },
    /// Drop the staging.
    Abandon { memories: bool },
}

/// Validates the flags before any store opens or any model loads. A value no flag gives comes from the
/// configuration's `embedding:` section, as for `ingest` and `search`.
pub(crate) fn parse(args: ReembedArgs, defaults: &EmbeddingSection) -> Result<Input> {
    if args.abandon {
        return Ok(Input::Abandon { memories: args.memories });
    }
    if let Some(reason) = storage_core::out_of_range(args.batch_size, 1, MAX_LIST_LIMIT) {
        return Err(CliError::Usage(format!("--batch-size: {reason}")));
    }
    let (page, memories) = (args.batch_size, args.memories);
    let config = provider_config(args, defaults)?;
    config.validate().map_err(|error| CliError::Usage(format!("reembed: {error}")))?;
    Ok(Input::Run { config, page, memories })
}

/// The new space's provider configuration: the `embedding:` section with each flag over its key. The
/// section's provider-specific values (model, model folder, server, key variable, dimensions) describe its
/// own provider, so a `--provider` naming another one takes none of them.
fn provider_config(args: ReembedArgs, defaults: &EmbeddingSection) -> Result<EmbeddingConfig> {
    // A section that names a model without a provider means the local one, as everywhere else.
    let configured = defaults.provider.clone().or_else(|| defaults.model.as_ref().map(|_| "local".to_owned()));
    let Some(provider) = args.provider.clone().or_else(|| configured.clone()) else {
        return Err(CliError::usage(
            "--provider: required, or `embedding.provider` in the configuration (neither names the new \
             space's provider)",
        ));
    };
    let kind = |name: &str| name.parse::<ProviderKind>().ok();
    let same_provider = configured.as_deref().is_some_and(|configured| kind(configured) == kind(&provider));
    let mut own = defaults.clone();
    if !same_provider {
        // The section's provider-specific values count only for its own provider.
        (own.model, own.model_path, own.base_url, own.api_key_env, own.dimensions) = (None, None, None, None, None);
    }
    let Some(model) = args.model.or_else(|| own.model.clone()) else {
        let why = match &configured {
            Some(configured) if !same_provider && defaults.model.is_some() => {
                format!(" (the configuration's `embedding.model` is for provider {configured}, not {provider})")
            }
            _ => " (neither names the new space's model)".to_owned(),
        };
        return Err(CliError::usage(format!("--model: required, or `embedding.model` in the configuration{why}")));
    };
    let flags_over_own = EmbeddingSection {
        provider: Some(provider),
        model: Some(model),
        model_path: args.model_path.or(own.model_path),
        base_url: args.base_url.or(own.base_url),
        api_key_env: args.api_key_env.or(own.api_key_env),
        dimensions: args.dimensions.or(own.dimensions),
        ..own
    };
    Ok(flags_over_own.provider_config())
}

/// What `reembed` prints: core's summary plus the time it took.
#[derive(Debug, Serialize)]
struct ReembedReport {
    #[serde(flatten)]
    summary: storage_core::ReembedSummary,
    seconds: f64,
    rows_per_second: f64,
}

impl Report for ReembedReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let s = &self.summary;
        let what = match &s.collection {
            Some(collection) => format!("collection `{collection}`"),
            None => "the memory space".to_owned(),
        };
        writeln!(
            out,
            "re-embedded {what} into {} ({} dimensions): {} row(s) embedded now, {} staged by an earlier run, \
             {} in all ({:.2} s, {:.0} rows/s)",
            s.space.describe(),
            s.space.dimensions,
            s.embedded,
            s.resumed,
            s.total,
            self.seconds,
            self.rows_per_second
        )
    }
}

/// `--abandon`: whether anything was staged.
#[derive(Debug, Serialize)]
struct AbandonReport {
    /// The collection; absent for the memory space.
    #[serde(skip_serializing_if = "Option::is_none")]
    collection: Option<String>,
    abandoned: bool,
}

impl Report for AbandonReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let what = match &self.collection {
            Some(collection) => format!("collection `{collection}`"),
            None => "the memory space".to_owned(),
        };
        if self.abandoned {
            writeln!(out, "dropped the staged re-embedding of {what}")
        } else {
            writeln!(out, "{what} had no re-embedding staged")
        }
    }
}

/// Loads the embedder, re-embeds with progress on stderr, prints the summary.
pub(crate) async fn run(ctx: &Context, input: Input, printer: &mut Printer) -> Result<()> {
    let (config, page, memories) = match input {
        Input::Abandon { memories: true } => {
            let abandoned = ctx.stores.memories.abandon_memory_reembed().await?;
            return printer.report(&AbandonReport { collection: None, abandoned });
        }
        Input::Abandon { memories: false } => {
            let abandoned = ctx.store().abandon_reembed(&ctx.collection).await?;
            return printer.report(&AbandonReport { collection: Some(ctx.collection.to_string()), abandoned });
        }
        Input::Run { config, page, memories } => (config, page, memories),
    };
    // A missing collection is named before a model loads.
    if !memories && ctx.store().collection(&ctx.collection).await?.is_none() {
        return Err(storage_core::StorageError::missing_collection(&ctx.collection).into());
    }
    let embedder = embed::connect(&config).await.map_err(storage_core::StorageError::from)?;
    let started = Instant::now();
    let mut meter = Meter::new(printer.format());
    let summary = if memories {
        reembed_memories(ctx.stores.memories.as_ref(), embedder.as_ref(), page, |p| meter.show(p)).await
    } else {
        reembed_collection(ctx.store(), embedder.as_ref(), &ctx.collection, page, |p| meter.show(p)).await
    };
    meter.progress.finish();
    let summary = summary?;
    let seconds = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)] // a rate for people
    let rows_per_second = if seconds > 0.0 { summary.embedded as f64 / seconds } else { 0.0 };
    printer.report(&ReembedReport { summary, seconds, rows_per_second })
}

/// Progress on stderr: a bar on a terminal; otherwise (human output) one line per step, so a log shows how
/// far a run came; nothing with `--json`.
struct Meter {
    progress: Progress,
    lines: bool,
    started: Instant,
    first_staged: Option<u64>,
}

impl Meter {
    fn new(format: Format) -> Self {
        let terminal = io::stderr().is_terminal();
        Meter {
            progress: Progress::new(format, None, Unit::Chunks),
            lines: format == Format::Human && !terminal,
            started: Instant::now(),
            first_staged: None,
        }
    }

    fn show(&mut self, progress: &ReembedProgress) {
        let first = *self.first_staged.get_or_insert(progress.staged);
        let seconds = self.started.elapsed().as_secs_f64();
        #[allow(clippy::cast_precision_loss)] // a rate for people
        let rate = if seconds > 0.0 { progress.staged.saturating_sub(first) as f64 / seconds } else { 0.0 };
        let message = format!(
            "re-embedding into {}: {}/{} rows, {rate:.0} rows/s",
            describe(&progress.space),
            progress.staged,
            progress.total
        );
        if self.lines {
            crate::progress::note(&message);
        } else {
            self.progress.update(progress.staged, message);
        }
    }
}

fn describe(space: &EmbeddingSpace) -> String {
    format!("{} ({} dimensions)", space.describe(), space.dimensions)
}
