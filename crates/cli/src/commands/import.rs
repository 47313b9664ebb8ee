//! `brainstore import FILE`: read a `brainstore export` file (collection headers, then chunks) into this store (core's `transfer::ingest`).

use storage_core::transfer::{self, IngestMode, IngestSettings, Input as LinesInput};

use super::{Context, open_input};
use crate::args::ImportArgs;
use crate::config::{AppConfig, check_batch_size};
use crate::error::{CliError, Result};
use crate::output::{ImportReport, Printer};
use crate::progress::{Progress, Unit};

/// Validated `import` arguments: the input is already open.
#[derive(Debug)]
pub(crate) struct Input {
    file: LinesInput,
    batch_size: usize,
}

/// Checks the batch size and opens the input.
pub(crate) fn parse(args: ImportArgs, app: &AppConfig) -> Result<Input> {
    let batch_size = args.batch_size.unwrap_or(app.ingest.batch_size);
    check_batch_size(batch_size).map_err(|reason| CliError::usage(format!("--batch-size: {reason}")))?;
    Ok(Input { file: open_input(&args.file)?, batch_size })
}

/// Creates each collection with its embedding space (an incompatible existing one stops the import) and
/// upserts its chunks; importing the same file twice changes nothing.
pub(crate) async fn run(ctx: &Context, input: Input, printer: &mut Printer) -> Result<()> {
    ctx.store().initialize().await?;
    let progress = Progress::new(printer.format(), input.file.size, Unit::Bytes);
    let settings =
        IngestSettings { mode: IngestMode::Import, batch_size: input.batch_size, skip_invalid: false, resolver: None };
    let summary = transfer::ingest(ctx.store.clone(), input.file, settings, &progress).await?;
    progress.finish();
    printer.report(&ImportReport { collections: summary.collections.clone(), summary })
}
