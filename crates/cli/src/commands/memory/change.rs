//! `memory supersede`, `dispute`, `archive`, `forget` and `expire`: changes that the audit log records.

use chrono::{DateTime, Utc};
use storage_core::memory::{ChangeContext, ExpireMode, MemoryPatch, NewMemory, Scope};
use storage_core::views::{Forgotten, Superseded};
use uuid::Uuid;

use super::remember::patch;
use super::{change, flag_of, memory_id, not_found, scope};
use crate::args::{ExpireArgs, MemoryChangeArgs, SupersedeArgs};
use crate::commands::Context;
use crate::commands::fields;
use crate::error::Result;
use crate::output::{ExpireReport, MemoryReport, Printer};

/// A status change.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Status {
    Dispute,
    Archive,
}

/// A validated change.
#[derive(Debug)]
pub(crate) enum Input {
    Supersede(Box<Supersede>),
    Status { tenant: String, id: Uuid, status: Status, context: ChangeContext },
    Forget { tenant: String, id: Uuid, context: ChangeContext },
    Expire { tenant: String, at: Option<DateTime<Utc>>, mode: ExpireMode, context: ChangeContext },
}

/// A supersede: the fields given; the rest comes from the old memory once the store is open.
#[derive(Debug)]
pub(crate) struct Supersede {
    tenant: String,
    old_id: Uuid,
    content: String,
    scope: Scope,
    fields: MemoryPatch,
    context: ChangeContext,
}

/// `memory supersede OLD_ID NEW_CONTENT [fields]`: every flag is checked now, on a probe memory.
pub(super) fn parse_supersede(args: SupersedeArgs, tenant: String) -> Result<Input> {
    let old_id = fields::uuid("OLD_ID", &args.old_id)?;
    let fields = patch(args.fields)?;
    let scope = scope(tenant.clone(), args.scope)?;
    let mut probe = NewMemory::new(scope.clone(), args.content.clone());
    fields.clone().apply(&mut probe);
    probe.validate().map_err(|e| {
        fields::named_field(e, |field| if field == "content" { "NEW_CONTENT".to_owned() } else { flag_of(field) })
    })?;
    Ok(Input::Supersede(Box::new(Supersede {
        tenant,
        old_id,
        content: args.content,
        scope,
        fields,
        context: change(args.change)?,
    })))
}

/// `memory dispute|archive ID`.
pub(super) fn parse_status(args: MemoryChangeArgs, tenant: String, status: Status) -> Result<Input> {
    Ok(Input::Status { tenant, id: memory_id(&args.memory.id)?, status, context: change(args.change)? })
}

/// `memory forget ID`.
pub(super) fn parse_forget(args: MemoryChangeArgs, tenant: String) -> Result<Input> {
    Ok(Input::Forget { tenant, id: memory_id(&args.memory.id)?, context: change(args.change)? })
}

/// `memory expire [--archive] [--at TIME]`.
pub(super) fn parse_expire(args: ExpireArgs, tenant: String) -> Result<Input> {
    Ok(Input::Expire {
        tenant,
        at: fields::opt_time("--at", args.at.as_deref())?,
        mode: if args.archive { ExpireMode::Archive } else { ExpireMode::Delete },
        context: change(args.change)?,
    })
}

/// Runs the change; an unknown id exits 2, a change the memory's state refuses exits 3.
pub(super) async fn run(ctx: &Context, input: Input, printer: &mut Printer) -> Result<()> {
    let store = ctx.stores.memories.as_ref();
    match input {
        Input::Supersede(input) => {
            let (tenant, old_id, context) = (input.tenant.clone(), input.old_id, input.context.clone());
            let old = store.get_memory(&tenant, old_id).await?.ok_or_else(|| not_found(&tenant, old_id))?;
            let Supersede { content, scope, fields, .. } = *input;
            let mut new = NewMemory::succeeding(&old, scope, content);
            fields.apply(&mut new);
            let (old, new) =
                store.supersede(&tenant, old_id, new, &context).await.map_err(|e| fields::named_field(e, flag_of))?;
            printer.report(&Superseded { old, new })
        }
        Input::Status { tenant, id, status, context } => {
            let (memory, verb) = match status {
                Status::Dispute => (store.dispute(&tenant, id, &context).await?, "disputed"),
                Status::Archive => (store.archive(&tenant, id, &context).await?, "archived"),
            };
            printer.report(&MemoryReport::new(memory).headline(format!("{verb} memory {id}")))
        }
        Input::Forget { tenant, id, context } => {
            if !store.forget(&tenant, id, &context).await? {
                return Err(not_found(&tenant, id));
            }
            printer.report(&Forgotten { id, forgotten: true })
        }
        Input::Expire { tenant, at, mode, context } => {
            let at = at.unwrap_or_else(Utc::now);
            let expired = store.expire(&tenant, at, mode, &context).await?;
            printer.report(&ExpireReport { expired, mode, at })
        }
    }
}
