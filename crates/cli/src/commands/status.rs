//! `brainstore status`: backend, versions, counts, embedding space and pool metrics; never a password.

use super::Context;
use crate::error::Result;
use crate::output::{Printer, StatusReport};

/// Prints the store's health report, focused on the selected collection.
pub(crate) async fn run(ctx: &Context, printer: &mut Printer) -> Result<()> {
    let health = ctx.store().health().await?;
    let selected = health.collections.iter().find(|info| info.name == ctx.collection);
    let report = StatusReport {
        backend: health.backend.clone(),
        healthy: health.healthy,
        initialized: health.initialized,
        location: health.location.clone(),
        collection: ctx.collection.to_string(),
        count: selected.map_or(0, |info| info.count),
        embedded_count: selected.map_or(0, |info| info.embedded_count),
        total_count: health.total_count(),
        embedding: selected.and_then(|info| info.embedding_space.clone()),
        versions: health.versions,
        collections: health.collections,
        pool: health.pool,
        details: health.details,
        warnings: health.warnings,
    };
    printer.report(&report)
}
