//! `memory get`, `memory list` and `memory history`: plain reads (no access is counted).

use chrono::{DateTime, Utc};
use storage_core::StorageError;
use storage_core::memory::ListMemories;
use storage_core::views::MemoryHistory;
use uuid::Uuid;

use super::{memory_id, not_found, scope};
use crate::args::{MemoryGetArgs, MemoryIdArgs, MemoryListArgs};
use crate::commands::Context;
use crate::commands::fields;
use crate::error::Result;
use crate::output::{MemoryListReport, MemoryReport, Printer};

/// A validated read.
#[derive(Debug)]
pub(crate) enum Input {
    Get { tenant: String, id: Uuid, at: Option<DateTime<Utc>> },
    List(ListMemories),
    History { tenant: String, id: Uuid },
}

/// `memory get ID [--at TIME]`.
pub(super) fn parse_get(args: &MemoryGetArgs, tenant: String) -> Result<Input> {
    Ok(Input::Get { tenant, id: memory_id(&args.memory.id)?, at: fields::opt_time("--at", args.at.as_deref())? })
}

/// `memory list`.
pub(super) fn parse_list(args: MemoryListArgs, tenant: String) -> Result<Input> {
    fields::identifiers("--kind", &args.kinds)?;
    // Validated before the page, so a bad --status is reported ahead of a bad --limit.
    let scope = scope(tenant, args.scope)?;
    let statuses = fields::all_of("--status", &args.statuses)?;
    let (limit, offset) = fields::page(args.page)?;
    Ok(Input::List(ListMemories { scope, kinds: args.kinds, statuses, limit, offset }))
}

/// `memory history ID`.
pub(super) fn parse_history(args: &MemoryIdArgs, tenant: String) -> Result<Input> {
    Ok(Input::History { tenant, id: memory_id(&args.id)? })
}

/// Runs the read; an unknown id (or one of another tenant) exits 2.
pub(super) async fn run(ctx: &Context, input: Input, printer: &mut Printer) -> Result<()> {
    let store = ctx.stores.memories.as_ref();
    match input {
        Input::Get { tenant, id, at: None } => {
            let memory = store.get_memory(&tenant, id).await?.ok_or_else(|| not_found(&tenant, id))?;
            printer.report(&MemoryReport::new(memory))
        }
        Input::Get { tenant, id, at: Some(at) } => {
            let memory = store.as_of(&tenant, id, at).await?.ok_or_else(|| StorageError::NotFound {
                what: format!("memory {id} in tenant `{tenant}` as of {}", at.to_rfc3339()),
            })?;
            printer.report(&MemoryReport::new(memory))
        }
        Input::List(request) => {
            let memories = store.list_memories(&request).await?;
            printer.report(&MemoryListReport::new(memories, request.offset))
        }
        Input::History { tenant, id } => {
            let entries = store.history(&tenant, id).await?;
            // Every memory has at least its `created` entry: an empty log means the id was never here.
            if entries.is_empty() {
                return Err(not_found(&tenant, id));
            }
            printer.report(&MemoryHistory { id, entries })
        }
    }
}
