//! `memory remember`: one memory from flags, or `NewMemory` JSON objects from `--from-json`; and the memory field flags `supersede` shares.

use std::path::Path;

use storage_core::StorageError;
use storage_core::memory::{MemoryPatch, NewMemory, RememberOptions, Scope};

use super::{change, flag_of, scope};
use crate::args::{MemoryFieldArgs, RememberArgs};
use crate::commands::Context;
use crate::commands::fields;
use crate::config::AppConfig;
use crate::error::{CliError, LineError, Result};
use crate::output::Printer;
use crate::progress::note;

/// The memory field flags as core's patch, the flags that need it parsed (tier, embedding, metadata, time,
/// ids); a flag not given leaves its field as it is.
pub(super) fn patch(args: MemoryFieldArgs) -> Result<MemoryPatch> {
    let embedding = match (args.embedding, args.embedding_model) {
        (Some(embedding), Some(model)) => Some((fields::embedding(&embedding)?, model)),
        // clap requires each with the other; this only guards the invariant.
        (None, None) => None,
        _ => return Err(CliError::usage("--embedding and --embedding-model go together")),
    };
    let related = args.related.iter().map(|id| fields::uuid("--related", id)).collect::<Result<Vec<_>>>()?;
    Ok(MemoryPatch {
        key: args.key,
        kind: args.kind,
        tags: args.tags,
        importance: args.importance,
        confidence: args.confidence,
        subject: args.subject,
        source: args.source,
        pinned: args.pinned,
        tier: args.tier.as_deref().map(|tier| fields::one_of("--tier", tier)).transpose()?,
        embedding,
        metadata: args.metadata.as_deref().map(|text| fields::metadata(Some(text))).transpose()?,
        expires_at: fields::opt_time("--expires-at", args.expires_at.as_deref())?,
        related,
    })
}

/// Core's checks of a memory built from flags, errors naming the flag.
fn validate(memory: &NewMemory) -> Result<()> {
    memory.validate().map_err(|e| fields::named_field(e, flag_of))
}

/// A validated `remember`.
#[derive(Debug)]
pub(crate) struct Input {
    items: Items,
    options: RememberOptions,
}

#[derive(Debug)]
enum Items {
    /// From flags.
    One(Box<NewMemory>),
    /// From `--from-json`, each with the line it starts on.
    Json(Vec<(u64, NewMemory)>),
}

/// Builds the memory (or memories) and the dedup options.
pub(super) fn parse(args: RememberArgs, tenant: String, app: &AppConfig) -> Result<Input> {
    let scope = scope(tenant, args.scope)?;
    let fields = patch(args.fields)?;
    let dedup_threshold =
        if args.no_dedup { None } else { Some(args.dedup_threshold.unwrap_or(app.memory.dedup_threshold)) };
    let options = RememberOptions { dedup_threshold, context: change(args.change)? };
    options.validate().map_err(|e| crate::commands::fields::named("--dedup-threshold", e))?;
    let items = match (args.from_json, args.content) {
        (Some(path), _) => {
            if !fields.is_empty() {
                return Err(CliError::usage(
                    "--from-json: the memory's fields belong in the JSON objects; only --tenant, --agent, --user, \
                     --conversation, the dedup flags, --actor and --reason apply to them",
                ));
            }
            Items::Json(read_json(&path, &scope)?)
        }
        (None, Some(content)) => {
            let mut memory = NewMemory::new(scope, content);
            fields.apply(&mut memory);
            validate(&memory)?;
            Items::One(Box::new(memory))
        }
        (None, None) => return Err(CliError::usage("CONTENT: give the memory's text, or --from-json FILE")),
    };
    Ok(Input { items, options })
}

/// Every `NewMemory` object of FILE (`-`: stdin): one object, pretty-printed or not, or one per line.
fn read_json(path: &Path, scope: &Scope) -> Result<Vec<(u64, NewMemory)>> {
    let text = fields::content(None, Some(path))?;
    let memories = storage_core::transfer::memory_objects(&text, scope)?;
    if memories.is_empty() {
        let shown = if path == Path::new("-") { "standard input".to_owned() } else { path.display().to_string() };
        return Err(CliError::usage(format!("--from-json: {shown} holds no memories")));
    }
    Ok(memories)
}

/// Remembers the memory (or each memory in order; a failure leaves the earlier ones remembered).
pub(super) async fn run(ctx: &Context, input: Input, printer: &mut Printer) -> Result<()> {
    let store = ctx.stores.memories.as_ref();
    match input.items {
        Items::One(memory) => {
            let outcome = store.remember(*memory, &input.options).await.map_err(|e| fields::named_field(e, flag_of))?;
            printer.report(&outcome)
        }
        Items::Json(memories) => {
            let mut report = storage_core::views::RememberBatch::default();
            let total = memories.len();
            for (done, (line, memory)) in memories.into_iter().enumerate() {
                match store.remember(memory, &input.options).await {
                    Ok(outcome) => report.add(outcome),
                    Err(error) => {
                        if done > 0 {
                            note(&format!("remembered {done} of {total} memories before line {line}"));
                        }
                        return Err(match error {
                            StorageError::InvalidInput { .. } | StorageError::DimensionMismatch { .. } => {
                                CliError::Line { line, source: LineError::Invalid(error) }
                            }
                            other => other.into(),
                        });
                    }
                }
            }
            printer.report(&report)
        }
    }
}
