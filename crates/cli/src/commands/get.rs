//! `brainstore get ID`: one chunk, embedding included.

use storage_core::{StorageError, check_id};

use super::Context;
use crate::args::GetArgs;
use crate::error::Result;
use crate::output::Printer;

/// A validated id.
#[derive(Debug)]
pub(crate) struct Input {
    id: String,
}

/// Checks the id with core's rule.
pub(crate) fn parse(args: GetArgs) -> Result<Input> {
    check_id(&args.id, "ID")?;
    Ok(Input { id: args.id })
}

/// Prints the chunk; a missing id is bad input (exit 2).
pub(crate) async fn run(ctx: &Context, input: Input, printer: &mut Printer) -> Result<()> {
    match ctx.store().get(&ctx.collection, &input.id).await? {
        Some(chunk) => printer.report(&chunk),
        None => {
            Err(StorageError::NotFound { what: format!("chunk `{}` in collection `{}`", input.id, ctx.collection) }
                .into())
        }
    }
}
