//! `brainstore reset --yes`: empty the collection and forget its embedding space.

use super::Context;
use crate::args::ResetArgs;
use crate::config::AppConfig;
use crate::error::{CliError, Result};
use crate::output::{Printer, ResetReport};

/// Refuses to go on without `--yes`, before any store opens.
pub(crate) fn parse(args: &ResetArgs, app: &AppConfig) -> Result<()> {
    if !args.yes {
        return Err(CliError::usage(format!(
            "reset deletes every chunk of collection `{}` and forgets its embedding space; pass --yes to confirm",
            app.collection
        )));
    }
    Ok(())
}

/// Resets and reports how many chunks went.
pub(crate) async fn run(ctx: &Context, printer: &mut Printer) -> Result<()> {
    let store = ctx.store();
    let deleted = store.count(&ctx.collection, None).await?;
    store.reset(&ctx.collection).await?;
    printer.report(&ResetReport { collection: ctx.collection.to_string(), deleted })
}
