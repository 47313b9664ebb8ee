//! `brainstore config show`: the effective configuration, secrets redacted, with the source of every value.

use crate::args::{ConfigAction, ConfigArgs};
use crate::config::AppConfig;
use crate::error::Result;
use crate::output::{ConfigReport, ConfigRow, Printer};

/// Prints the configuration; opens no store.
pub(crate) fn run(args: &ConfigArgs, app: &AppConfig, printer: &mut Printer) -> Result<()> {
    match args.action {
        ConfigAction::Show => {
            let tree = app.effective_tree()?;
            let values =
                app.rows(&tree).into_iter().map(|(key, value, source)| ConfigRow { key, value, source }).collect();
            printer.report(&ConfigReport { config: tree, values })
        }
    }
}
