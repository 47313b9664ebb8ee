//! Bodies of the memory routes (`/tenants/{tenant}/memories/...`), with their OpenAPI schemas.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use storage_core::memory::{
    AuditAction, AuditEntry, ChangeContext, Memory, MemoryStatus, MemoryTier, NewMemory, RememberAction,
    RememberOutcome, Scope,
};
use storage_core::{Embedding, Metadata};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::documents::SpaceBody;

macro_rules! mirror_enum {
    ($(#[$meta:meta])* $name:ident mirrors $core:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub(crate) enum $name { $($(#[$vmeta])* $variant),+ }

        impl From<$core> for $name {
            fn from(value: $core) -> Self {
                match value { $($core::$variant => $name::$variant),+ }
            }
        }

        impl From<$name> for $core {
            fn from(value: $name) -> Self {
                match value { $($name::$variant => $core::$variant),+ }
            }
        }
    };
}
pub(crate) use mirror_enum;

mirror_enum! {
    /// Where a memory stands.
    MemoryStatusName mirrors MemoryStatus {
        /// Current, recalled by default.
        Active,
        /// Contradicted; recalled when asked for.
        Disputed,
        /// Replaced by a newer memory.
        Superseded,
        /// Kept for history.
        Archived,
    }
}

mirror_enum! {
    /// How hot a memory is.
    MemoryTierName mirrors MemoryTier {
        /// Frequently used.
        Hot,
        /// The default.
        Warm,
        /// Rarely used or superseded.
        Cold,
    }
}

mirror_enum! {
    /// What an audit entry records.
    AuditActionName mirrors AuditAction {
        /// Inserted.
        Created,
        /// Content or fields changed.
        Updated,
        /// Status changed.
        StatusChanged,
        /// Hard-deleted.
        Deleted,
    }
}

/// Who a memory belongs to, below the tenant (which is the path's).
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScopeBody {
    /// The agent, if the memory is private to one.
    #[serde(default)]
    pub(crate) agent: Option<String>,
    /// The user it is about or belongs to.
    #[serde(default)]
    pub(crate) user: Option<String>,
    /// The conversation it came from.
    #[serde(default)]
    pub(crate) conversation: Option<String>,
}

impl ScopeBody {
    /// Core's scope in `tenant`.
    pub(crate) fn in_tenant(self, tenant: &str) -> Scope {
        Scope { tenant: tenant.to_owned(), agent: self.agent, user: self.user, conversation: self.conversation }
    }
}

/// A memory's owner.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ScopeView {
    /// The tenant.
    pub(crate) tenant: String,
    /// The agent.
    pub(crate) agent: Option<String>,
    /// The user.
    pub(crate) user: Option<String>,
    /// The conversation.
    pub(crate) conversation: Option<String>,
}

/// A stored memory.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct MemoryView {
    /// Id.
    pub(crate) id: Uuid,
    /// Owner.
    pub(crate) scope: ScopeView,
    /// Handle, unique within the scope.
    pub(crate) key: Option<String>,
    /// Kind (`fact`, `decision`, `preference`...).
    pub(crate) kind: String,
    /// Text.
    pub(crate) content: String,
    /// What it is about.
    pub(crate) subject: Option<String>,
    /// Tags.
    pub(crate) tags: Vec<String>,
    /// 1 (trivial) to 10 (critical).
    pub(crate) importance: u8,
    /// 0 to 1.
    pub(crate) confidence: f32,
    /// Pinned memories get a recall boost.
    pub(crate) pinned: bool,
    /// Where it came from.
    pub(crate) source: Option<String>,
    /// Where it stands.
    pub(crate) status: MemoryStatusName,
    /// Its tier.
    pub(crate) tier: MemoryTierName,
    /// Free JSON.
    pub(crate) metadata: Map<String, Value>,
    /// Its embedding.
    pub(crate) embedding: Option<Vec<f32>>,
    /// The model that produced the embedding.
    pub(crate) embedding_model: Option<String>,
    /// Embedded by a model other than the store's current one.
    pub(crate) stale: bool,
    /// Starts at 1; every update adds 1.
    pub(crate) version: u32,
    /// The memory that replaced it.
    pub(crate) superseded_by: Option<Uuid>,
    /// The memory it replaced.
    pub(crate) supersedes: Option<Uuid>,
    /// Related memories.
    pub(crate) related: Vec<Uuid>,
    /// Created.
    pub(crate) created_at: DateTime<Utc>,
    /// Last changed.
    pub(crate) updated_at: DateTime<Utc>,
    /// Last recalled.
    pub(crate) last_accessed_at: DateTime<Utc>,
    /// Times recalled.
    pub(crate) access_count: u64,
    /// When it expires.
    pub(crate) expires_at: Option<DateTime<Utc>>,
}

impl From<Memory> for MemoryView {
    fn from(m: Memory) -> Self {
        MemoryView {
            id: m.id,
            scope: ScopeView {
                tenant: m.scope.tenant,
                agent: m.scope.agent,
                user: m.scope.user,
                conversation: m.scope.conversation,
            },
            key: m.key,
            kind: m.kind,
            content: m.content,
            subject: m.subject,
            tags: m.tags,
            importance: m.importance,
            confidence: m.confidence,
            pinned: m.pinned,
            source: m.source,
            status: m.status.into(),
            tier: m.tier.into(),
            metadata: m.metadata.into_map(),
            embedding: m.embedding.map(Embedding::into_vec),
            embedding_model: m.embedding_model,
            stale: m.stale,
            version: m.version,
            superseded_by: m.superseded_by,
            supersedes: m.supersedes,
            related: m.related,
            created_at: m.created_at,
            updated_at: m.updated_at,
            last_accessed_at: m.last_accessed_at,
            access_count: m.access_count,
            expires_at: m.expires_at,
        }
    }
}

fn default_kind() -> String {
    "fact".to_owned()
}
fn default_importance() -> u8 {
    5
}
fn default_confidence() -> f32 {
    1.0
}

/// A memory to remember (`POST .../memories`) or to supersede another with (`POST .../{id}/supersede`).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemoryBody {
    /// Narrows the owner below the tenant.
    #[serde(default)]
    pub(crate) scope: ScopeBody,
    /// Handle: remembering with an existing key updates that memory.
    #[serde(default)]
    pub(crate) key: Option<String>,
    /// Kind (default `fact`).
    #[serde(default = "default_kind")]
    pub(crate) kind: String,
    /// Text (not blank).
    pub(crate) content: String,
    /// What it is about.
    #[serde(default)]
    pub(crate) subject: Option<String>,
    /// Tags.
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    /// 1 to 10 (default 5).
    #[serde(default = "default_importance")]
    #[schema(minimum = 1, maximum = 10)]
    pub(crate) importance: u8,
    /// 0 to 1 (default 1).
    #[serde(default = "default_confidence")]
    #[schema(minimum = 0, maximum = 1)]
    pub(crate) confidence: f32,
    /// Pinned.
    #[serde(default)]
    pub(crate) pinned: bool,
    /// Where it came from.
    #[serde(default)]
    pub(crate) source: Option<String>,
    /// Tier (default warm).
    #[serde(default)]
    pub(crate) tier: Option<MemoryTierName>,
    /// Free JSON.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub(crate) metadata: Metadata,
    /// Embedding; its length must match the memory embedding space (`PUT /memories/embedding-space`).
    #[serde(default)]
    #[schema(value_type = Option<Vec<f32>>)]
    pub(crate) embedding: Option<Embedding>,
    /// The model that produced `embedding` (required with one).
    #[serde(default)]
    pub(crate) embedding_model: Option<String>,
    /// Related memories.
    #[serde(default)]
    pub(crate) related: Vec<Uuid>,
    /// When it expires.
    #[serde(default)]
    pub(crate) expires_at: Option<DateTime<Utc>>,
    /// When it happened, for imports of older memories.
    #[serde(default)]
    pub(crate) occurred_at: Option<DateTime<Utc>>,
    /// Remember only: an active memory of the same scope and kind at least this similar is updated instead
    /// of duplicated (default 0.92); see `dedup`.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1)]
    pub(crate) dedup_threshold: Option<f32>,
    /// Remember only: false turns similarity dedup off (default true).
    #[serde(default)]
    pub(crate) dedup: Option<bool>,
    /// Who makes the change, for the audit log (default `http`).
    #[serde(default)]
    pub(crate) actor: Option<String>,
    /// Why, for the audit log.
    #[serde(default)]
    pub(crate) reason: Option<String>,
}

impl MemoryBody {
    /// Core's memory in `tenant`, and the audit context.
    pub(crate) fn into_new(self, tenant: &str) -> (NewMemory, ChangeContext) {
        let context = change_context(self.actor, self.reason);
        let memory = NewMemory {
            scope: self.scope.in_tenant(tenant),
            key: self.key,
            kind: self.kind,
            content: self.content,
            subject: self.subject,
            tags: self.tags,
            importance: self.importance,
            confidence: self.confidence,
            pinned: self.pinned,
            source: self.source,
            tier: self.tier.map_or(MemoryTier::Warm, MemoryTier::from),
            metadata: self.metadata,
            embedding: self.embedding,
            embedding_model: self.embedding_model,
            related: self.related,
            expires_at: self.expires_at,
            occurred_at: self.occurred_at,
        };
        (memory, context)
    }
}

/// The audit context of a change: `actor` defaults to `http`.
pub(crate) fn change_context(actor: Option<String>, reason: Option<String>) -> ChangeContext {
    ChangeContext { actor: actor.unwrap_or_else(|| "http".to_owned()), reason }
}

/// What `remember` did.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RememberActionName {
    /// A new memory.
    Created,
    /// The memory with the same key was updated.
    UpdatedByKey,
    /// A near-duplicate was updated instead.
    Deduplicated,
}

/// `POST .../memories`: the memory as stored, and what happened.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct RememberResponse {
    /// The stored memory.
    pub(crate) memory: MemoryView,
    /// What happened.
    pub(crate) action: RememberActionName,
    /// Similarity to the duplicate (`deduplicated` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) similarity: Option<f32>,
}

impl From<RememberOutcome> for RememberResponse {
    fn from(outcome: RememberOutcome) -> Self {
        let (action, similarity) = match outcome.action {
            RememberAction::Created => (RememberActionName::Created, None),
            RememberAction::UpdatedByKey => (RememberActionName::UpdatedByKey, None),
            RememberAction::Deduplicated { similarity } => (RememberActionName::Deduplicated, Some(similarity)),
        };
        RememberResponse { memory: outcome.memory.into(), action, similarity }
    }
}

/// A list of memories.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct MemoriesResponse {
    /// Newest first.
    pub(crate) memories: Vec<MemoryView>,
}

/// `GET .../memories`: a page of the tenant's memories, newest first.
#[derive(Clone, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListMemoriesParams {
    /// Only this agent's.
    pub(crate) agent: Option<String>,
    /// Only this user's.
    pub(crate) user: Option<String>,
    /// Only this conversation's.
    pub(crate) conversation: Option<String>,
    /// Comma-separated kinds.
    pub(crate) kinds: Option<String>,
    /// Comma-separated statuses (active, disputed, superseded, archived).
    pub(crate) statuses: Option<String>,
    /// Page size, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    pub(crate) limit: Option<usize>,
    /// Memories to skip.
    pub(crate) offset: Option<usize>,
}

/// Who changes a memory's status and why.
// Also the query of `DELETE .../memories/{id}` (hence `IntoParams`): one type, so the body and the query
// cannot drift apart. A plain comment, not `///`: the doc comment is the schema's description.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangeBody {
    /// Who (default `http`).
    #[serde(default)]
    pub(crate) actor: Option<String>,
    /// Why.
    #[serde(default)]
    pub(crate) reason: Option<String>,
}

/// `DELETE .../memories/{id}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ForgetResponse {
    /// Whether the memory existed (its audit history stays).
    pub(crate) forgotten: bool,
}

/// `POST .../memories/{id}/supersede`: the replaced memory and its replacement.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct SupersedeResponse {
    /// The old memory, now `superseded`.
    pub(crate) old: MemoryView,
    /// The new memory.
    pub(crate) new: MemoryView,
}

/// One row of a memory's audit log.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct AuditEntryView {
    /// Position in the log.
    pub(crate) seq: i64,
    /// The memory.
    pub(crate) memory_id: Uuid,
    /// The tenant.
    pub(crate) tenant: String,
    /// What happened.
    pub(crate) action: AuditActionName,
    /// The memory before (none for `created`).
    pub(crate) old: Option<MemoryView>,
    /// The memory after (none for `deleted`).
    pub(crate) new: Option<MemoryView>,
    /// Who.
    pub(crate) actor: String,
    /// Why.
    pub(crate) reason: Option<String>,
    /// When.
    pub(crate) at: DateTime<Utc>,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(entry: AuditEntry) -> Self {
        AuditEntryView {
            seq: entry.seq,
            memory_id: entry.memory_id,
            tenant: entry.tenant,
            action: entry.action.into(),
            old: entry.old.map(MemoryView::from),
            new: entry.new.map(MemoryView::from),
            actor: entry.actor,
            reason: entry.reason,
            at: entry.at,
        }
    }
}

/// `GET .../memories/{id}/history`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct HistoryResponse {
    /// Oldest first.
    pub(crate) entries: Vec<AuditEntryView>,
}

/// `GET .../memories/{id}/as-of` parameters.
#[derive(Clone, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct AsOfParams {
    /// The moment (RFC 3339, e.g. `2026-01-31T12:00:00Z`).
    pub(crate) at: DateTime<Utc>,
}

/// The memory embedding space.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct MemorySpaceResponse {
    /// The recorded space; null until one is set.
    pub(crate) embedding_space: Option<SpaceBody>,
}
