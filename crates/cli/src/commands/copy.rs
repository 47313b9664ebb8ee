//! `brainstore copy --to SPEC`: every collection, with embeddings and embedding spaces, into another store; resumable, then verified (core's `transfer::copy_collections`).

use std::time::Instant;

use storage_core::transfer::{self, CopyOptions};

use super::Context;
use crate::args::CopyArgs;
use crate::config::{AppConfig, DEFAULT_BATCH_SIZE, check_batch_size};
use crate::error::{CliError, Result};
use crate::factory::{self, StoreSpec};
use crate::output::{CopyReport, Printer};
use crate::progress::{Progress, Unit};

/// Validated `copy` arguments.
#[derive(Debug)]
pub(crate) struct Input {
    target: StoreSpec,
    options: CopyOptions,
}

/// Parses the target and refuses to copy a store onto itself.
pub(crate) fn parse(args: CopyArgs, app: &AppConfig) -> Result<Input> {
    let batch_size = args.batch_size.unwrap_or(DEFAULT_BATCH_SIZE);
    check_batch_size(batch_size).map_err(|reason| CliError::usage(format!("--batch-size: {reason}")))?;
    let target = factory::parse_target(&args.to, app)?;
    if factory::same_store(&factory::configured(app)?, &target) {
        return Err(CliError::usage(format!(
            "--to: {} is the configured store itself; choose another target",
            factory::describe(&target)
        )));
    }
    Ok(Input { target, options: CopyOptions { batch_size, verify_sample: args.verify_sample } })
}

/// Copies every collection, then verifies counts and a sample of records.
pub(crate) async fn run(ctx: &Context, input: Input, printer: &mut Printer) -> Result<()> {
    let started = Instant::now();
    let source = ctx.store();
    let target = factory::open(&input.target).await?.documents;
    let outcome = async {
        let collections = source.list_collections().await?;
        let total: u64 = collections.iter().map(|info| info.count).sum();
        let progress = Progress::new(printer.format(), Some(total), Unit::Chunks);
        let copied =
            transfer::copy_collections(source, target.as_ref(), &collections, input.options, &progress).await?;
        progress.finish();
        Ok::<_, CliError>(copied)
    }
    .await;
    if let Err(error) = target.close().await {
        tracing::warn!("closing the target store failed: {error}");
    }
    let collections = outcome?;
    printer.report(&CopyReport {
        target: factory::describe(&input.target),
        collections,
        seconds: started.elapsed().as_secs_f64(),
    })
}
