//! `brainstore status`: backend, versions, counts, embedding space and pool metrics; never a password.

use super::Context;
use crate::error::Result;
use crate::output::{Printer, StatusReport};

/// Prints the store's health report, focused on the selected collection.
pub(crate) async fn run(ctx: &Context, printer: &mut Printer) -> Result<()> {
    let mut health = ctx.store().health().await?;
    let selected = health.collections.iter().find(|info| info.name == ctx.collection);
    let report = StatusReport {
        collection: ctx.collection.to_string(),
        count: selected.map_or(0, |info| info.count),
        embedded_count: selected.map_or(0, |info| info.embedded_count),
        embedding: selected.and_then(|info| info.embedding_space.clone()),
        // What the store's view leaves out, taken before the rest of the report becomes that view.
        details: std::mem::take(&mut health.details),
        store: health.into(),
    };
    printer.report(&report)
}
