//! Request bodies and query parameters of the memory routes (`/tenants/{tenant}/memories/...`); the responses are core's types and views.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use storage_core::memory::{ChangeContext, MemoryTier, NewMemory, Scope};
use storage_core::{Embedding, Metadata};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

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
    #[serde(default = "storage_core::memory::default_kind")]
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
    #[serde(default = "storage_core::memory::default_importance")]
    #[schema(minimum = 1, maximum = 10)]
    pub(crate) importance: u8,
    /// 0 to 1 (default 1).
    #[serde(default = "storage_core::memory::default_confidence")]
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
    pub(crate) tier: Option<MemoryTier>,
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
            tier: self.tier.unwrap_or(MemoryTier::Warm),
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

/// `GET .../memories/{id}/as-of` parameters.
#[derive(Clone, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct AsOfParams {
    /// The moment (RFC 3339, e.g. `2026-01-31T12:00:00Z`).
    pub(crate) at: DateTime<Utc>,
}
