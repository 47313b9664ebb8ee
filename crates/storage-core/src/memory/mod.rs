//! Agent memory: typed, scoped memories with hybrid recall, dedup on write, supersede chains and an
//! append-only audit log. The [`MemoryStore`] trait is implemented by every backend; ranking is the pure
//! function in [`scoring`], so both backends order recalls identically.

pub mod merge;
pub mod scoring;
mod store;
mod types;

pub use self::store::{MemoryStore, reembed_stale};
pub use self::types::{
    AuditAction, AuditEntry, ChangeContext, DEFAULT_DEDUP_THRESHOLD, ExpireMode, ListMemories,
    MAX_MEMORY_CONTENT_BYTES, Memory, MemoryStatus, MemoryTier, NewMemory, RecallHit, RecallRequest, RememberAction,
    RememberOptions, RememberOutcome, Scope, WELL_KNOWN_KINDS,
};
