//! Memory domain types: `Scope`, `Memory` and its brief, `NewMemory`, recall requests and hits, audit entries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::document::Metadata;
use crate::embedding::Embedding;
use crate::error::StorageError;
use crate::text_enum::string_enum;
use crate::views::record_and_brief;

/// The longest content of one memory, in bytes.
pub const MAX_MEMORY_CONTENT_BYTES: usize = 100_000;

/// The default similarity at or above which a new memory updates an existing one instead of duplicating it.
pub const DEFAULT_DEDUP_THRESHOLD: f32 = 0.92;

/// Kinds the seed systems use, as documented conventions. `kind` is a free string; these are not enforced.
pub const WELL_KNOWN_KINDS: &[&str] = &[
    "idea",
    "decision",
    "question",
    "action_item",
    "context",
    "preference",
    "fact",
    "risk",
    "semantic",
    "episodic",
    "procedural",
    "identity",
    "user_profile",
];

/// Who a memory belongs to. Every read and write is confined to one `tenant`; nothing crosses tenants.
/// The other ids are opaque strings that narrow the scope further.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Scope {
    /// The tenant (team, project, repository...). Required.
    pub tenant: String,
    /// The agent, if the memory is private to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The user the memory is about or belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The conversation it came from or belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<String>,
}

impl Scope {
    /// A tenant-wide scope.
    pub fn tenant(tenant: impl Into<String>) -> Self {
        Scope { tenant: tenant.into(), ..Scope::default() }
    }

    /// Narrows to an agent.
    #[must_use]
    pub fn agent(mut self, agent: impl Into<String>) -> Self {
        self.agent = Some(agent.into());
        self
    }

    /// Narrows to a user.
    #[must_use]
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Narrows to a conversation.
    #[must_use]
    pub fn conversation(mut self, conversation: impl Into<String>) -> Self {
        self.conversation = Some(conversation.into());
        self
    }

    /// Checks the ids: tenant non-empty, no id empty or with NUL, each at most 200 bytes.
    pub fn validate(&self) -> crate::Result<()> {
        check_scope_id("scope.tenant", Some(&self.tenant))?;
        check_scope_id("scope.agent", self.agent.as_ref())?;
        check_scope_id("scope.user", self.user.as_ref())?;
        check_scope_id("scope.conversation", self.conversation.as_ref())
    }

    /// Whether a memory stored under `stored` is visible to a query for `self`: same tenant, and every id
    /// the query names is equal. Ids the query leaves out match anything.
    pub fn contains(&self, stored: &Scope) -> bool {
        let narrows = |query: &Option<String>, stored: &Option<String>| query.is_none() || query == stored;
        self.tenant == stored.tenant
            && narrows(&self.agent, &stored.agent)
            && narrows(&self.user, &stored.user)
            && narrows(&self.conversation, &stored.conversation)
    }
}

fn check_scope_id(field: &str, value: Option<&String>) -> crate::Result<()> {
    match value {
        None if field == "scope.tenant" => Err(StorageError::invalid(field, "is required")),
        None => Ok(()),
        Some(v) if v.is_empty() => Err(StorageError::invalid(field, "must not be empty")),
        Some(v) if v.len() > 200 || v.contains('\0') => {
            Err(StorageError::invalid(field, "must be at most 200 bytes without NUL"))
        }
        Some(_) => Ok(()),
    }
}

string_enum! {
    /// Where a memory stands.
    MemoryStatus {
        /// Current and recalled by default.
        Active = "active",
        /// Contradicted by another memory; still recalled when asked for.
        Disputed = "disputed",
        /// Replaced by a newer memory (`superseded_by`).
        Superseded = "superseded",
        /// Kept for history, not recalled by default.
        Archived = "archived",
    }
}

string_enum! {
    /// How hot a memory is, for callers that tier their context.
    MemoryTier {
        /// Frequently used.
        Hot = "hot",
        /// The default.
        Warm = "warm",
        /// Rarely used or superseded.
        Cold = "cold",
    }
}

record_and_brief! {
    /// A stored memory.
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct Memory;

    /// A memory as listings and recall hits show it: every field of [`Memory`] in its order, the vector replaced
    /// by its length (getting the memory shows the vector).
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct MemoryBrief;

    fields {
        /// Unique id.
        pub id: Uuid,
        /// Owner.
        pub scope: Scope,
        /// Optional handle, unique within the scope (`remember X as K`).
        pub key: Option<String>,
        /// Free-form kind; see [`WELL_KNOWN_KINDS`].
        pub kind: String,
        /// The memory's text.
        pub content: String,
        /// What the memory is about (used to spot contradictions).
        pub subject: Option<String>,
        /// Tags, searched by recall.
        pub tags: Vec<String>,
        /// 1 (trivial) to 10 (critical).
        pub importance: u8,
        /// 0 to 1.
        pub confidence: f32,
        /// Pinned memories get a recall boost.
        pub pinned: bool,
        /// Where it came from (`explicit`, `extraction`, ...).
        pub source: Option<String>,
        /// Where it stands.
        pub status: MemoryStatus,
        /// Its tier.
        pub tier: MemoryTier,
        /// Free JSON.
        pub metadata: Metadata,
        {
            /// Its embedding, if any.
            pub embedding: Option<Embedding>,
        } in brief {
            /// The length of its embedding, when it has one.
            pub embedding_dimensions: Option<u32> = embedding.as_ref().map(Embedding::dimensions),
        }
        /// The model that produced the embedding.
        pub embedding_model: Option<String>,
        /// Whether the embedding came from a model other than the store's current one.
        pub stale: bool,
        /// Starts at 1; every update adds 1.
        pub version: u32,
        /// The memory that replaced this one.
        pub superseded_by: Option<Uuid>,
        /// The memory this one replaced.
        pub supersedes: Option<Uuid>,
        /// Related memories.
        pub related: Vec<Uuid>,
        /// Creation time.
        pub created_at: DateTime<Utc>,
        /// Last change.
        pub updated_at: DateTime<Utc>,
        /// Last time a recall returned it (`get_memory` is a plain read and does not count).
        pub last_accessed_at: DateTime<Utc>,
        /// Times recalled.
        pub access_count: u64,
        /// When it expires, if ever.
        pub expires_at: Option<DateTime<Utc>>,
    }
}

/// A memory to remember.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMemory {
    /// Owner.
    pub scope: Scope,
    /// Optional handle: remembering with an existing key updates that memory.
    #[serde(default)]
    pub key: Option<String>,
    /// Kind (default `fact`).
    #[serde(default = "default_kind")]
    pub kind: String,
    /// Text.
    pub content: String,
    /// Subject.
    #[serde(default)]
    pub subject: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// 1 to 10 (default 5).
    #[serde(default = "default_importance")]
    pub importance: u8,
    /// 0 to 1 (default 1).
    #[serde(default = "default_confidence")]
    pub confidence: f32,
    /// Pinned.
    #[serde(default)]
    pub pinned: bool,
    /// Source.
    #[serde(default)]
    pub source: Option<String>,
    /// Tier (default warm).
    #[serde(default = "default_tier")]
    pub tier: MemoryTier,
    /// Free JSON.
    #[serde(default)]
    pub metadata: Metadata,
    /// Embedding; its length must match the store's memory embedding space.
    #[serde(default)]
    pub embedding: Option<Embedding>,
    /// The model that produced `embedding`.
    #[serde(default)]
    pub embedding_model: Option<String>,
    /// Related memories.
    #[serde(default)]
    pub related: Vec<Uuid>,
    /// Expiry.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// When it happened, for imports of older memories; now when absent.
    #[serde(default)]
    pub occurred_at: Option<DateTime<Utc>>,
}

// The defaults of a new memory are public so that every surface that parses one (the HTTP body) fills in the
// same values as `NewMemory`'s own deserializer.

/// The kind of a new memory that names none.
pub fn default_kind() -> String {
    "fact".to_owned()
}
/// The importance of a new memory that gives none.
pub fn default_importance() -> u8 {
    5
}
/// The confidence of a new memory that gives none.
pub fn default_confidence() -> f32 {
    1.0
}
fn default_tier() -> MemoryTier {
    MemoryTier::Warm
}

impl NewMemory {
    /// A `fact` with default importance, confidence and tier.
    pub fn new(scope: Scope, content: impl Into<String>) -> Self {
        NewMemory {
            scope,
            key: None,
            kind: default_kind(),
            content: content.into(),
            subject: None,
            tags: Vec::new(),
            importance: default_importance(),
            confidence: default_confidence(),
            pinned: false,
            source: None,
            tier: default_tier(),
            metadata: Metadata::new(),
            embedding: None,
            embedding_model: None,
            related: Vec::new(),
            expires_at: None,
            occurred_at: None,
        }
    }

    /// Sets the kind.
    #[must_use]
    pub fn kind(mut self, kind: impl Into<String>) -> Self {
        self.kind = kind.into();
        self
    }

    /// Sets the key.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Sets the embedding and its model.
    #[must_use]
    pub fn embedding(mut self, embedding: Embedding, model: impl Into<String>) -> Self {
        self.embedding = Some(embedding);
        self.embedding_model = Some(model.into());
        self
    }

    /// Sets the tags.
    #[must_use]
    pub fn tags(mut self, tags: &[&str]) -> Self {
        self.tags = tags.iter().map(|t| (*t).to_owned()).collect();
        self
    }

    /// Sets the importance.
    #[must_use]
    pub fn importance(mut self, importance: u8) -> Self {
        self.importance = importance;
        self
    }

    /// Checks every field (not the embedding's length, which needs the store's space).
    pub fn validate(&self) -> crate::Result<()> {
        self.scope.validate()?;
        if self.kind.trim().is_empty() || self.kind.len() > 100 || self.kind.contains('\0') {
            return Err(StorageError::invalid("kind", "must be 1 to 100 characters without NUL"));
        }
        if self.content.trim().is_empty() {
            return Err(StorageError::invalid("content", "must not be blank"));
        }
        if self.content.len() > MAX_MEMORY_CONTENT_BYTES {
            return Err(StorageError::invalid("content", format!("is longer than {MAX_MEMORY_CONTENT_BYTES} bytes")));
        }
        crate::document::check_text(&self.content, "content")?;
        for (field, value) in [
            ("key", &self.key),
            ("subject", &self.subject),
            ("source", &self.source),
            ("embedding_model", &self.embedding_model),
        ] {
            if let Some(value) = value {
                super::space::check_label(field, value)?;
            }
        }
        if let Some((idx, _)) =
            self.tags.iter().enumerate().find(|(_, t)| t.is_empty() || t.len() > 100 || t.contains('\0'))
        {
            return Err(StorageError::invalid(format!("tags[{idx}]"), "must be 1 to 100 bytes without NUL"));
        }
        crate::check_range("importance", self.importance, 1, 10)?;
        crate::check_range("confidence", self.confidence, 0.0, 1.0)?;
        if self.embedding.is_some() && self.embedding_model.is_none() {
            return Err(StorageError::invalid(
                "embedding_model",
                "is required with an embedding, so a model change can be detected",
            ));
        }
        Ok(())
    }
}

/// Who changes a memory and why: written to the audit log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeContext {
    /// The agent, user or process making the change.
    pub actor: String,
    /// Why, if known.
    pub reason: Option<String>,
}

impl ChangeContext {
    /// A change by `actor`.
    pub fn by(actor: impl Into<String>) -> Self {
        ChangeContext { actor: actor.into(), reason: None }
    }

    /// Adds a reason.
    #[must_use]
    pub fn because(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
}

/// How [`super::MemoryStore::remember`] deduplicates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RememberOptions {
    /// An active memory of the same scope and kind whose embedding is at least this similar (score of the
    /// memory space's metric) is updated instead of duplicated. `None` turns dedup off.
    pub dedup_threshold: Option<f32>,
    /// Audit context.
    pub context: ChangeContext,
}

impl RememberOptions {
    /// Checks the threshold ([`super::check_dedup_threshold`]).
    pub fn validate(&self) -> crate::Result<()> {
        self.dedup_threshold.map_or(Ok(()), super::check_dedup_threshold)
    }
}

impl Default for RememberOptions {
    fn default() -> Self {
        RememberOptions { dedup_threshold: Some(DEFAULT_DEDUP_THRESHOLD), context: ChangeContext::by("unknown") }
    }
}

/// What `remember` did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RememberAction {
    /// A new memory.
    Created,
    /// The memory with the same key was updated.
    UpdatedByKey,
    /// A near-duplicate was updated instead of inserting a new memory.
    Deduplicated {
        /// Similarity (score of the memory space's metric) to the duplicate.
        similarity: f32,
    },
}

/// The memory as it is after `remember`, and what happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RememberOutcome {
    /// The stored memory.
    pub memory: Memory,
    /// What happened.
    #[serde(flatten)]
    pub action: RememberAction,
}

/// What `expire` does with expired memories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpireMode {
    /// Hard-delete them (the audit log keeps their history).
    Delete,
    /// Set their status to archived.
    Archive,
}
