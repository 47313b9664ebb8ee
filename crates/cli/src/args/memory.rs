//! Raw arguments of `brainstore memory …` (agent memory: remember, recall, supersede, forget, history).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::args::{InitArgs, PageArgs};

/// The exit codes of the memory, session and task commands, shown at the end of their `--help`.
pub(crate) const EXIT_CODES: &str = "\
Exit codes:
  0  ok (also `task claim` when no task is eligible: it prints `no task` / {\"task\": null})
  1  internal error
  2  bad input or usage (the message names the flag), or an id that does not exist in the tenant
  3  the record's state refuses the change (a task lease that was lost or expired, a finished task,
     a memory already superseded, a key held by another memory), or the store is not ready for it
     (not initialized: run `brainstore init` once; embedding dimension or model mismatch)
  4  backend unreachable (after retries) or busy

Every command works in one tenant: --tenant, else `tenant` in the configuration
(BRAINSTORE__TENANT), else `default`. Another tenant's ids behave like ids that do not exist.";

/// `memory`.
#[derive(Debug, Args)]
#[command(after_long_help = EXIT_CODES)]
pub(crate) struct MemoryArgs {
    /// Tenant whose memories to use [default: `tenant` from the configuration, else `default`].
    #[arg(long, global = true, value_name = "T")]
    pub(crate) tenant: Option<String>,
    #[command(subcommand)]
    pub(crate) action: MemoryAction,
}

/// `memory` actions.
#[derive(Debug, Subcommand)]
pub(crate) enum MemoryAction {
    /// Remember CONTENT: a new memory, or an update of the memory with the same --key, or (dedup) of an
    /// active memory of the same scope and kind whose embedding is at least --dedup-threshold similar.
    Remember(RememberArgs),
    /// Ranked recall: semantic similarity, keyword relevance, recency, importance and pinning.
    Recall(RecallArgs),
    /// One memory by id (embedding included); --at shows it as it was at a past time.
    Get(MemoryGetArgs),
    /// Memories of a scope, newest first.
    List(MemoryListArgs),
    /// Replace a memory with a new one: the old one becomes `superseded`, both are linked. Fields not given
    /// are taken from the old memory, except the embedding (the content changed) and the tier.
    Supersede(SupersedeArgs),
    /// Mark a memory disputed (its importance counts half in recall).
    Dispute(MemoryChangeArgs),
    /// Mark a memory archived (no longer recalled unless --status archived asks for it).
    Archive(MemoryChangeArgs),
    /// Delete a memory for good; its history stays.
    Forget(MemoryChangeArgs),
    /// The audit log of a memory, oldest first (also after it was forgotten).
    History(MemoryIdArgs),
    /// Delete (or with --archive, archive) the tenant's memories whose expiry has passed.
    Expire(ExpireArgs),
    /// The embedding space memory embeddings belong to.
    Space(SpaceArgs),
    /// Memories embedded by another model than the space's current one.
    Stale(StaleArgs),
}

/// The optional scope ids, after the tenant.
#[derive(Clone, Debug, Args)]
pub(crate) struct ScopeArgs {
    /// Agent the memory belongs to (narrows reads to it).
    #[arg(long, value_name = "A")]
    pub(crate) agent: Option<String>,
    /// User the memory is about (narrows reads to it).
    #[arg(long, value_name = "U")]
    pub(crate) user: Option<String>,
    /// Conversation the memory comes from (narrows reads to it).
    #[arg(long, value_name = "C")]
    pub(crate) conversation: Option<String>,
}

/// Who makes a change and why: written to the audit log.
#[derive(Debug, Args)]
pub(crate) struct ChangeArgs {
    /// Who makes the change, for the audit log [default: cli].
    #[arg(long, value_name = "NAME")]
    pub(crate) actor: Option<String>,
    /// Why, for the audit log.
    #[arg(long, value_name = "TEXT")]
    pub(crate) reason: Option<String>,
}

/// The fields of a memory, shared by `remember` and `supersede`.
#[derive(Debug, Args)]
pub(crate) struct MemoryFieldArgs {
    /// Handle unique within the scope: remembering with an existing key updates that memory.
    #[arg(long, value_name = "K")]
    pub(crate) key: Option<String>,
    /// Kind, a free word; conventions: fact, preference, decision, idea, question, action_item, context,
    /// risk, semantic, episodic, procedural, identity, user_profile [default: fact].
    #[arg(long, value_name = "KIND")]
    pub(crate) kind: Option<String>,
    /// A tag (repeat for several).
    #[arg(long = "tag", value_name = "T")]
    pub(crate) tags: Vec<String>,
    /// 1 (trivial) to 10 (critical) [default: 5].
    #[arg(long, value_name = "N")]
    pub(crate) importance: Option<u8>,
    /// 0 to 1 [default: 1].
    #[arg(long, value_name = "F")]
    pub(crate) confidence: Option<f32>,
    /// What the memory is about.
    #[arg(long, value_name = "S")]
    pub(crate) subject: Option<String>,
    /// Where it came from (explicit, extraction, …).
    #[arg(long, value_name = "S")]
    pub(crate) source: Option<String>,
    /// Pin it: pinned memories get a recall boost.
    #[arg(long)]
    pub(crate) pinned: bool,
    /// Tier: hot, warm or cold [default: warm].
    #[arg(long, value_name = "TIER")]
    pub(crate) tier: Option<String>,
    /// Its embedding: a JSON array, or @FILE holding one (needs --embedding-model and a memory embedding
    /// space, see `memory space set`).
    #[arg(long, value_name = "JSON|@FILE", requires = "embedding_model")]
    pub(crate) embedding: Option<String>,
    /// The model that produced --embedding.
    #[arg(long, value_name = "M", requires = "embedding")]
    pub(crate) embedding_model: Option<String>,
    /// Free JSON object, e.g. '{"source_file": "notes.md"}'.
    #[arg(long, value_name = "JSON")]
    pub(crate) metadata: Option<String>,
    /// When it expires: RFC 3339 (2026-01-31T12:00:00Z) or from now (+90s, +30m, +12h, +7d).
    #[arg(long, value_name = "TIME")]
    pub(crate) expires_at: Option<String>,
    /// A related memory id (repeat for several).
    #[arg(long = "related", value_name = "ID")]
    pub(crate) related: Vec<String>,
}

/// `memory remember`.
#[derive(Debug, Args)]
pub(crate) struct RememberArgs {
    /// The memory's text.
    #[arg(value_name = "CONTENT", required_unless_present = "from_json", conflicts_with = "from_json")]
    pub(crate) content: Option<String>,
    /// Remember NewMemory JSON objects from FILE (or `-` for stdin), one object or several (JSON lines);
    /// a missing `scope` is this command's tenant and scope flags.
    #[arg(long, value_name = "FILE|-")]
    pub(crate) from_json: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) scope: ScopeArgs,
    #[command(flatten)]
    pub(crate) fields: MemoryFieldArgs,
    /// Never merge into a near-duplicate: always insert (or update by --key).
    #[arg(long, conflicts_with = "dedup_threshold")]
    pub(crate) no_dedup: bool,
    /// Similarity at or above which a new memory updates a near-duplicate [default: memory.dedup_threshold,
    /// 0.92].
    #[arg(long, value_name = "F")]
    pub(crate) dedup_threshold: Option<f32>,
    #[command(flatten)]
    pub(crate) change: ChangeArgs,
}

/// `memory recall`.
#[derive(Debug, Args)]
pub(crate) struct RecallArgs {
    /// Query text, matched against contents and tags.
    #[arg(value_name = "TEXT")]
    pub(crate) text: Option<String>,
    /// Query embedding: a JSON array, or @FILE holding one.
    #[arg(long, value_name = "JSON|@FILE")]
    pub(crate) embedding: Option<String>,
    #[command(flatten)]
    pub(crate) scope: ScopeArgs,
    /// Only this kind (repeat for several).
    #[arg(long = "kind", value_name = "KIND")]
    pub(crate) kinds: Vec<String>,
    /// Only memories with this tag (repeat: any of them).
    #[arg(long = "tag", value_name = "T")]
    pub(crate) tags: Vec<String>,
    /// Only this status: active, disputed, superseded, archived (repeat for several) [default: active].
    #[arg(long = "status", value_name = "S")]
    pub(crate) statuses: Vec<String>,
    /// Only this tier: hot, warm, cold (repeat for several).
    #[arg(long = "tier", value_name = "TIER")]
    pub(crate) tiers: Vec<String>,
    /// Metadata filter, Chroma `where` syntax, e.g. '{"project": "atlas"}'.
    #[arg(long = "where", value_name = "JSON")]
    pub(crate) where_filter: Option<String>,
    /// Number of hits, 1 to 1000 [default: 10].
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<usize>,
    /// Candidates taken from each leg before ranking, 1 to 1000 [default: 50].
    #[arg(long, value_name = "N")]
    pub(crate) candidates: Option<usize>,
    /// All weights as JSON, e.g. '{"semantic": 0.6, "recency": 0.1}' (keys: semantic, keyword, recency,
    /// importance, pinned_boost, half_life_hours; missing keys keep memory.weights or the defaults
    /// 0.45, 0.15, 0.20, 0.20, 0.10, 72).
    #[arg(long, value_name = "JSON")]
    pub(crate) weights: Option<String>,
    /// Weight of semantic similarity.
    #[arg(long, value_name = "W")]
    pub(crate) w_semantic: Option<f32>,
    /// Weight of keyword relevance.
    #[arg(long, value_name = "W")]
    pub(crate) w_keyword: Option<f32>,
    /// Weight of recency.
    #[arg(long, value_name = "W")]
    pub(crate) w_recency: Option<f32>,
    /// Weight of importance.
    #[arg(long, value_name = "W")]
    pub(crate) w_importance: Option<f32>,
    /// Added to the score of pinned memories.
    #[arg(long, value_name = "W")]
    pub(crate) pinned_boost: Option<f32>,
    /// Hours after which recency halves.
    #[arg(long, value_name = "H")]
    pub(crate) half_life_hours: Option<f32>,
    /// Rank as of this time (RFC 3339), for reproducible scores [default: now].
    #[arg(long, value_name = "TIME")]
    pub(crate) at: Option<String>,
}

/// A memory id.
#[derive(Debug, Args)]
pub(crate) struct MemoryIdArgs {
    /// The memory id (a UUID).
    #[arg(value_name = "ID")]
    pub(crate) id: String,
}

/// `memory get`.
#[derive(Debug, Args)]
pub(crate) struct MemoryGetArgs {
    #[command(flatten)]
    pub(crate) memory: MemoryIdArgs,
    /// The memory as it was at this time (RFC 3339), from the audit log.
    #[arg(long, value_name = "TIME")]
    pub(crate) at: Option<String>,
}

/// `memory list`.
#[derive(Debug, Args)]
pub(crate) struct MemoryListArgs {
    #[command(flatten)]
    pub(crate) scope: ScopeArgs,
    /// Only this kind (repeat for several).
    #[arg(long = "kind", value_name = "KIND")]
    pub(crate) kinds: Vec<String>,
    /// Only this status: active, disputed, superseded, archived (repeat for several) [default: any].
    #[arg(long = "status", value_name = "S")]
    pub(crate) statuses: Vec<String>,
    #[command(flatten)]
    pub(crate) page: PageArgs,
}

/// `memory supersede`.
#[derive(Debug, Args)]
pub(crate) struct SupersedeArgs {
    /// The memory to replace (a UUID).
    #[arg(value_name = "OLD_ID")]
    pub(crate) old_id: String,
    /// The replacement's text.
    #[arg(value_name = "NEW_CONTENT")]
    pub(crate) content: String,
    #[command(flatten)]
    pub(crate) scope: ScopeArgs,
    #[command(flatten)]
    pub(crate) fields: MemoryFieldArgs,
    #[command(flatten)]
    pub(crate) change: ChangeArgs,
}

/// `memory dispute|archive|forget`.
#[derive(Debug, Args)]
pub(crate) struct MemoryChangeArgs {
    #[command(flatten)]
    pub(crate) memory: MemoryIdArgs,
    #[command(flatten)]
    pub(crate) change: ChangeArgs,
}

/// `memory expire`.
#[derive(Debug, Args)]
pub(crate) struct ExpireArgs {
    /// Archive expired memories instead of deleting them.
    #[arg(long)]
    pub(crate) archive: bool,
    /// Expire as of this time (RFC 3339) [default: now].
    #[arg(long, value_name = "TIME")]
    pub(crate) at: Option<String>,
    #[command(flatten)]
    pub(crate) change: ChangeArgs,
}

/// `memory space`.
#[derive(Debug, Args)]
pub(crate) struct SpaceArgs {
    #[command(subcommand)]
    pub(crate) action: SpaceAction,
}

/// `memory space` actions.
#[derive(Debug, Subcommand)]
pub(crate) enum SpaceAction {
    /// The recorded space, if any.
    Show,
    /// Record the space (values not given come from the `embedding:` configuration). The same space again
    /// is a no-op; another one is refused (exit 3) unless --replace.
    Set(SpaceSetArgs),
}

/// `memory space set`.
#[derive(Debug, Args)]
pub(crate) struct SpaceSetArgs {
    #[command(flatten)]
    pub(crate) space: InitArgs,
    /// Switch to this space: memories embedded by another model become stale (see `memory stale`).
    #[arg(long)]
    pub(crate) replace: bool,
}

/// `memory stale`.
#[derive(Debug, Args)]
pub(crate) struct StaleArgs {
    #[command(subcommand)]
    pub(crate) action: StaleAction,
}

/// `memory stale` actions.
#[derive(Debug, Subcommand)]
pub(crate) enum StaleAction {
    /// Mark memories embedded by a model other than MODEL stale.
    Mark {
        /// The current model [default: the memory space's model].
        #[arg(long, value_name = "M")]
        model: Option<String>,
    },
    /// Stale memories, oldest first.
    List {
        /// At most this many, 1 to 1000 [default: 50].
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// Delete every stale memory for good (needs --yes); their history stays.
    Purge {
        /// Confirm: stale memories are deleted.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        change: ChangeArgs,
    },
}
