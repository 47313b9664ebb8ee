//! `brainstore ingest FILE|-`: stream JSON lines of chunks into the collection, one atomic batch at a time (core's `transfer::ingest`).

use storage_core::StorageError;
use storage_core::transfer::{self, IngestMode, IngestSettings, Input as LinesInput};

use super::{Context, open_input};
use crate::args::IngestArgs;
use crate::config::AppConfig;
use crate::config::check_batch_size;
use crate::error::{CliError, Result};
use crate::output::Printer;
use crate::progress::{Progress, Unit};

/// Validated `ingest` arguments: the input is already open.
#[derive(Debug)]
pub(crate) struct Input {
    file: LinesInput,
    batch_size: usize,
    skip_invalid: bool,
}

/// Checks the batch size and opens the input.
pub(crate) fn parse(args: IngestArgs, app: &AppConfig) -> Result<Input> {
    let batch_size = args.batch_size.unwrap_or(app.ingest.batch_size);
    check_batch_size(batch_size).map_err(|reason| CliError::usage(format!("--batch-size: {reason}")))?;
    Ok(Input { file: open_input(&args.file)?, batch_size, skip_invalid: args.skip_invalid })
}

/// Streams the input into the collection, which must exist (`brainstore init`).
pub(crate) async fn run(ctx: &Context, input: Input, printer: &mut Printer) -> Result<()> {
    let collection = ctx.collection.clone();
    let info =
        ctx.store().collection(&collection).await?.ok_or_else(|| StorageError::missing_collection(&collection))?;
    let progress = Progress::new(printer.format(), input.file.size, Unit::Bytes);
    let settings = IngestSettings {
        mode: IngestMode::Ingest { collection, space: info.embedding_space },
        batch_size: input.batch_size,
        skip_invalid: input.skip_invalid,
        // A space that names a provider embeds text-only chunks while the batch before is written.
        resolver: Some(ctx.resolver.clone()),
    };
    let summary = transfer::ingest(ctx.store.clone(), input.file, settings, &progress).await?;
    progress.finish();
    printer.report(&summary)
}
