//! `brainstore delete --ids A,B | --where JSON`; a filter that matches everything is refused.

use storage_core::views::Deleted;
use storage_core::{Filter, StorageError, check_id};

use super::{Context, parse_where};
use crate::args::DeleteArgs;
use crate::error::{CliError, Result};
use crate::output::Printer;

/// What to delete, validated.
#[derive(Debug)]
pub(crate) enum Input {
    Ids(Vec<String>),
    Where(Filter),
}

/// Checks ids and the filter with core's rules ([`Filter::check_deletable`] refuses one that matches everything).
pub(crate) fn parse(args: DeleteArgs) -> Result<Input> {
    if let Some(ids) = args.ids {
        let ids: Vec<String> = ids.into_iter().map(|id| id.trim().to_owned()).filter(|id| !id.is_empty()).collect();
        if ids.is_empty() {
            return Err(CliError::usage("--ids: give at least one id (comma-separated)"));
        }
        for (idx, id) in ids.iter().enumerate() {
            check_id(id, &format!("--ids[{idx}]"))?;
        }
        return Ok(Input::Ids(ids));
    }
    match parse_where(args.where_filter.as_deref())? {
        Some(filter) => match filter.check_deletable() {
            Ok(()) => Ok(Input::Where(filter)),
            Err(StorageError::InvalidInput { reason, .. }) => {
                Err(CliError::usage(format!("--where: {reason}; `brainstore reset --yes` empties the collection")))
            }
            Err(other) => Err(other.into()),
        },
        None => Err(CliError::usage("give --ids A,B or --where JSON")),
    }
}

/// Deletes and prints `{"deleted"}`.
pub(crate) async fn run(ctx: &Context, input: Input, printer: &mut Printer) -> Result<()> {
    let store = ctx.store();
    let deleted = match &input {
        Input::Ids(ids) => store.delete_ids(&ctx.collection, ids).await?,
        Input::Where(filter) => store.delete_where(&ctx.collection, filter).await?,
    };
    printer.report(&Deleted { deleted })
}
