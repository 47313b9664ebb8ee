//! `brainstore count [--where JSON]`.

use storage_core::Filter;
use storage_core::views::Count;

use super::{Context, parse_where};
use crate::args::CountArgs;
use crate::error::Result;
use crate::output::Printer;

/// A validated filter.
#[derive(Debug)]
pub(crate) struct Input {
    filter: Option<Filter>,
}

/// Parses `--where`.
pub(crate) fn parse(args: &CountArgs) -> Result<Input> {
    Ok(Input { filter: parse_where(args.where_filter.as_deref())? })
}

/// Prints `{"count"}`.
pub(crate) async fn run(ctx: &Context, input: Input, printer: &mut Printer) -> Result<()> {
    let count = ctx.store().count(&ctx.collection, input.filter.as_ref()).await?;
    printer.report(&Count { count })
}
