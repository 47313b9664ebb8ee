//! `brainstore migrate status|up|down [--to N]`: the store's versioned, reversible schema migrations.

use super::Context;
use crate::args::{MigrateAction, MigrateArgs};
use crate::error::Result;
use crate::output::{MigrationsReport, Printer};

/// A migrate action.
#[derive(Debug)]
pub(crate) enum Input {
    Status,
    Up(Option<u32>),
    Down(Option<u32>),
}

/// Nothing to validate beyond clap's types.
pub(crate) fn parse(args: MigrateArgs) -> Input {
    match args.action {
        MigrateAction::Status => Input::Status,
        MigrateAction::Up { to } => Input::Up(to),
        MigrateAction::Down { to } => Input::Down(to),
    }
}

/// Lists, applies or reverts; `down` without `--to` reverts the newest applied migration only.
pub(crate) async fn run(ctx: &Context, input: Input, printer: &mut Printer) -> Result<()> {
    let store = ctx.store();
    let (action, migrations) = match input {
        Input::Status => ("status", store.migrations().await?),
        Input::Up(to) => ("up", store.migrate_up(to).await?),
        Input::Down(to) => {
            let to = match to {
                Some(to) => to,
                None => {
                    let newest = store.migrations().await?.iter().filter(|m| m.applied).map(|m| m.version).max();
                    newest.map_or(0, |version| version.saturating_sub(1))
                }
            };
            ("down", store.migrate_down(to).await?)
        }
    };
    printer.report(&MigrationsReport { action, migrations })
}
