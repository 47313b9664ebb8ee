//! Agent memory: typed, scoped memories with hybrid recall, dedup on write, supersede chains and an
//! append-only audit log. The [`MemoryStore`] trait is implemented by every backend; ranking is the pure
//! function in [`scoring`], so both backends order recalls identically.

mod audit;
pub mod merge;
mod patch;
mod query;
pub mod scoring;
pub(crate) mod space;
mod stale;
mod store;
mod supersede;
mod types;

pub use self::audit::{AuditAction, AuditEntry};
pub use self::patch::MemoryPatch;
pub use self::query::{ListMemories, RecallHit, RecallRequest};
pub use self::space::{check_dedup_threshold, check_memory_embedding, check_model_name, memory_space_change};
pub use self::stale::{SYSTEM_ACTOR, SpaceReplacement, stale_model_context, stale_under_model};
pub use self::store::{MemoryStore, reembed_stale};
pub use self::supersede::{check_supersede_tenant, hand_over_key, key_held_by};
pub use self::types::{
    ChangeContext, DEFAULT_DEDUP_THRESHOLD, ExpireMode, MAX_MEMORY_CONTENT_BYTES, Memory, MemoryBrief, MemoryStatus,
    MemoryTier, NewMemory, RememberAction, RememberOptions, RememberOutcome, Scope, WELL_KNOWN_KINDS,
    default_confidence, default_importance, default_kind,
};
