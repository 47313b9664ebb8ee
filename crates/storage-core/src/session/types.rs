//! Session, message, artifact and agent types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::document::Metadata;
use crate::error::StorageError;
use crate::keyword::{KeywordQuery, TextLanguage};
use crate::text_enum::string_enum;
use crate::views::record_and_brief;

/// The largest message or artifact content, in bytes. Transcripts can be long: backends index them for
/// full-text search in segments, so size is limited only to keep one row manageable.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

string_enum! {
    /// Where a session stands.
    SessionStatus {
        /// In progress.
        Active = "active",
        /// On hold.
        Paused = "paused",
        /// Finished; `completed_at` is set.
        Completed = "completed",
    }
}

string_enum! {
    /// Who wrote a message.
    MessageRole {
        /// The human.
        User = "user",
        /// The model.
        Assistant = "assistant",
        /// System instructions.
        System = "system",
        /// A tool's output.
        Tool = "tool",
    }
}

string_enum! {
    /// An agent's availability.
    AgentStatus {
        /// Ready for work.
        Available = "available",
        /// Working.
        Busy = "busy",
        /// Not reachable.
        Offline = "offline",
        /// Broken.
        Error = "error",
    }
}

/// A session to create.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSession {
    /// Owner tenant.
    pub tenant: String,
    /// Client-chosen id (a UUID is generated when absent). Creating an existing id returns it unchanged.
    #[serde(default)]
    pub id: Option<String>,
    /// Title (defaults to the id).
    #[serde(default)]
    pub title: Option<String>,
    /// Participant names.
    #[serde(default)]
    pub participants: Vec<String>,
    /// Free JSON.
    #[serde(default)]
    pub metadata: Metadata,
}

impl NewSession {
    /// A session of `tenant` with a generated id.
    pub fn new(tenant: impl Into<String>) -> Self {
        NewSession { tenant: tenant.into(), id: None, title: None, participants: Vec::new(), metadata: Metadata::new() }
    }

    /// Sets the id.
    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Checks the fields.
    pub fn validate(&self) -> crate::Result<()> {
        check_identifier("tenant", &self.tenant)?;
        if let Some(id) = &self.id {
            check_identifier("id", id)?;
        }
        if let Some(title) = &self.title {
            crate::document::check_text(title, "title")?;
        }
        for (idx, p) in self.participants.iter().enumerate() {
            check_identifier(&format!("participants[{idx}]"), p)?;
        }
        Ok(())
    }
}

/// Checks an identifier-like string (tenant, session, agent, kind, name...): 1 to 200 bytes, no NUL.
/// `field` names it in the error.
pub fn check_identifier(field: &str, value: &str) -> crate::Result<()> {
    if value.is_empty() || value.len() > 200 || value.contains('\0') {
        return Err(StorageError::invalid(field, "must be 1 to 200 bytes without NUL"));
    }
    Ok(())
}

/// A stored session. Counts are exact at read time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    /// Id, unique within the tenant.
    pub id: String,
    /// Owner tenant.
    pub tenant: String,
    /// Title.
    pub title: String,
    /// Participant names.
    pub participants: Vec<String>,
    /// Status.
    pub status: SessionStatus,
    /// Free JSON.
    pub metadata: Metadata,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Time of the last write under the session (message, artifact, task, status change).
    pub last_activity_at: DateTime<Utc>,
    /// When it was completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// Messages in the session.
    pub message_count: u64,
    /// Artifacts in the session.
    pub artifact_count: u64,
    /// Tasks enqueued under the session.
    pub task_count: u64,
}

/// Which sessions to list: by status, most recent activity first.
#[derive(Clone, Debug, PartialEq)]
pub struct ListSessions {
    /// Owner tenant.
    pub tenant: String,
    /// Only these statuses (any, when empty).
    pub statuses: Vec<SessionStatus>,
    /// Page size (1 to 1000).
    pub limit: usize,
    /// Sessions to skip.
    pub offset: usize,
}

impl ListSessions {
    /// The first `limit` sessions of `tenant`, of any status.
    pub fn new(tenant: impl Into<String>, limit: usize) -> Self {
        ListSessions { tenant: tenant.into(), statuses: Vec::new(), limit, offset: 0 }
    }

    /// Checks the fields.
    pub fn validate(&self) -> crate::Result<()> {
        check_identifier("tenant", &self.tenant)?;
        crate::check_page_limit("limit", self.limit)
    }
}

/// Which messages of a session to read: a page in append order.
#[derive(Clone, Debug, PartialEq)]
pub struct ListMessages {
    /// Owner tenant.
    pub tenant: String,
    /// The session.
    pub session_id: String,
    /// Only messages after this position (exclusive): the `seq` of the last message of the page before.
    pub after_seq: Option<i64>,
    /// Page size (1 to 1000).
    pub limit: usize,
}

impl ListMessages {
    /// The first `limit` messages of session `session_id` in `tenant`.
    pub fn new(tenant: impl Into<String>, session_id: impl Into<String>, limit: usize) -> Self {
        ListMessages { tenant: tenant.into(), session_id: session_id.into(), after_seq: None, limit }
    }

    /// Checks the fields.
    pub fn validate(&self) -> crate::Result<()> {
        check_identifier("tenant", &self.tenant)?;
        check_identifier("session_id", &self.session_id)?;
        crate::check_page_limit("limit", self.limit)
    }
}

/// At most this many distinct words and phrases in one message or artifact search: PostgreSQL marks the
/// terms each content holds in one 64-bit mask, and every backend refuses a longer query alike.
pub const MAX_TEXT_SEARCH_TERMS: usize = 63;

/// A full-text search over messages or artifacts, in one session or every session of a tenant; the hits
/// come best first, the best scoring 1.
#[derive(Clone, Debug, PartialEq)]
pub struct TextSearch {
    /// Owner tenant.
    pub tenant: String,
    /// Only this session (every session of the tenant when absent).
    pub session_id: Option<String>,
    /// The query, in the keyword syntax of [`crate::SearchRequest::text`], at most
    /// [`crate::MAX_QUERY_TEXT_BYTES`] bytes without NUL; a query without a word to look for finds nothing.
    pub query: String,
    /// At most this many hits (1 to 1000).
    pub limit: usize,
}

impl TextSearch {
    /// At most `limit` hits for `query` in every session of `tenant`.
    pub fn new(tenant: impl Into<String>, query: impl Into<String>, limit: usize) -> Self {
        TextSearch { tenant: tenant.into(), session_id: None, query: query.into(), limit }
    }

    /// Checks the fields.
    pub fn validate(&self) -> crate::Result<()> {
        check_identifier("tenant", &self.tenant)?;
        if let Some(session_id) = &self.session_id {
            check_identifier("session_id", session_id)?;
        }
        crate::check_page_limit("limit", self.limit)?;
        crate::check_query_text("query", &self.query)
    }

    /// The query parsed with `language`'s stop words, refused when it looks for more than
    /// [`MAX_TEXT_SEARCH_TERMS`] distinct words and phrases.
    pub fn keyword_query(&self, language: TextLanguage) -> crate::Result<KeywordQuery> {
        let parsed = KeywordQuery::parse(&self.query, language);
        let terms = parsed.distinct_terms().len();
        if terms > MAX_TEXT_SEARCH_TERMS {
            return Err(StorageError::invalid(
                "query",
                format!("has {terms} distinct words and phrases; at most {MAX_TEXT_SEARCH_TERMS} are searched"),
            ));
        }
        Ok(parsed)
    }
}

/// A message to append.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewMessage {
    /// Client-chosen id, unique within the session: appending the same id again returns the stored
    /// message without adding one. Generated when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// Author role.
    pub role: MessageRole,
    /// Content, of any size up to [`MAX_MESSAGE_BYTES`].
    pub content: String,
    /// Format (`text` by default; e.g. `dialogue`, `summary`, `transcript`, `markdown`).
    #[serde(default = "default_format")]
    pub format: String,
    /// Free JSON.
    #[serde(default)]
    pub metadata: Metadata,
}

fn default_format() -> String {
    "text".to_owned()
}

impl NewMessage {
    /// A text message.
    pub fn new(role: MessageRole, content: impl Into<String>) -> Self {
        NewMessage { id: None, role, content: content.into(), format: default_format(), metadata: Metadata::new() }
    }

    /// Sets the client id.
    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Checks the fields.
    pub fn validate(&self) -> crate::Result<()> {
        if let Some(id) = &self.id {
            check_identifier("id", id)?;
        }
        check_content(&self.content)?;
        check_identifier("format", &self.format)
    }
}

pub(crate) fn check_content(content: &str) -> crate::Result<()> {
    if content.len() > MAX_MESSAGE_BYTES {
        return Err(StorageError::invalid("content", format!("is larger than {MAX_MESSAGE_BYTES} bytes")));
    }
    if content.contains('\0') {
        return Err(StorageError::invalid("content", "contains a NUL byte, which no backend can store"));
    }
    Ok(())
}

/// A stored message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    /// Session id.
    pub session_id: String,
    /// Id, unique within the session.
    pub id: String,
    /// Position in the session: 1 for its first message, one more for each message after it.
    pub seq: i64,
    /// Author role.
    pub role: MessageRole,
    /// Content.
    pub content: String,
    /// Format.
    pub format: String,
    /// Free JSON.
    pub metadata: Metadata,
    /// Append time.
    pub created_at: DateTime<Utc>,
}

/// What an append did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppendOutcome {
    /// The stored message.
    pub message: Message,
    /// False when a message with the same id already existed (nothing was added).
    pub created: bool,
}

/// A full-text hit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextHit<T> {
    /// The record.
    pub item: T,
    /// Relevance in [0, 1], the best hit scoring 1.
    pub score: f32,
}

/// A message found by full-text search.
pub type MessageHit = TextHit<Message>;

/// An artifact to store (upserted by session and id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewArtifact {
    /// Id, unique within the session (generated when absent).
    #[serde(default)]
    pub id: Option<String>,
    /// The task that produced it.
    #[serde(default)]
    pub task_id: Option<String>,
    /// Kind (`code`, `document`, `report`...).
    pub kind: String,
    /// Name.
    pub name: String,
    /// Content.
    pub content: String,
    /// Format (`markdown`, `python`, `json`...; `text` by default).
    #[serde(default = "default_format")]
    pub format: String,
    /// Free JSON.
    #[serde(default)]
    pub metadata: Metadata,
}

impl NewArtifact {
    /// An artifact of `kind` named `name`.
    pub fn new(kind: impl Into<String>, name: impl Into<String>, content: impl Into<String>) -> Self {
        NewArtifact {
            id: None,
            task_id: None,
            kind: kind.into(),
            name: name.into(),
            content: content.into(),
            format: default_format(),
            metadata: Metadata::new(),
        }
    }

    /// Checks the fields.
    pub fn validate(&self) -> crate::Result<()> {
        if let Some(id) = &self.id {
            check_identifier("id", id)?;
        }
        if let Some(task) = &self.task_id {
            check_identifier("task_id", task)?;
        }
        check_identifier("kind", &self.kind)?;
        check_identifier("name", &self.name)?;
        check_identifier("format", &self.format)?;
        check_content(&self.content)
    }
}

record_and_brief! {
    /// A stored artifact.
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct Artifact;

    /// An artifact as listings and search hits show it: every field of [`Artifact`] in its order, the content
    /// replaced by its size in bytes (getting the artifact shows the content).
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct ArtifactBrief;

    fields {
        /// Session id.
        pub session_id: String,
        /// Id, unique within the session.
        pub id: String,
        /// The task that produced it.
        pub task_id: Option<String>,
        /// Kind (`code`, `document`, `report`...).
        pub kind: String,
        /// Name.
        pub name: String,
        {
            /// Content.
            pub content: String,
        } in brief {
            /// The content's size in bytes.
            pub content_bytes: usize = content.len(),
        }
        /// Format.
        pub format: String,
        /// Free JSON.
        pub metadata: Metadata,
        /// First stored.
        pub created_at: DateTime<Utc>,
        /// Last stored.
        pub updated_at: DateTime<Utc>,
    }
}

/// An agent to register (upserted by tenant and name).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewAgent {
    /// Name, unique within the tenant.
    pub name: String,
    /// Kind (`code`, `research`...).
    pub kind: String,
    /// What it can do.
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// Free JSON.
    #[serde(default)]
    pub metadata: Metadata,
}

impl NewAgent {
    /// Checks the fields.
    pub fn validate(&self) -> crate::Result<()> {
        check_identifier("name", &self.name)?;
        check_identifier("kind", &self.kind)?;
        for (idx, capability) in self.capabilities.iter().enumerate() {
            check_identifier(&format!("capabilities[{idx}]"), capability)?;
        }
        Ok(())
    }
}

/// A registered agent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Agent {
    /// Owner tenant.
    pub tenant: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: String,
    /// Capabilities.
    pub capabilities: Vec<String>,
    /// Availability.
    pub status: AgentStatus,
    /// Last heartbeat.
    pub last_heartbeat_at: Option<DateTime<Utc>>,
    /// Free JSON.
    pub metadata: Metadata,
    /// Registration time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: crate::Result<()>) -> String {
        result.err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn a_text_search_looks_for_at_most_63_distinct_terms() {
        let words: Vec<String> = (0..70).map(|i| format!("w{i}")).collect();
        let search = |query: String| TextSearch::new("acme", query, 10).keyword_query(TextLanguage::Simple);
        assert!(search(words[..63].join(" ")).is_ok());
        assert!(
            search(format!("{} {}", words[..63].join(" "), words[..63].join(" or "))).is_ok(),
            "repeats count once"
        );
        let err = search(words.join(" ")).unwrap_err().to_string();
        assert_eq!(err, "query: has 70 distinct words and phrases; at most 63 are searched");
        assert!(search(format!("{} -{}", words[..63].join(" "), words[63])).is_err(), "excluded terms count");
        assert!(
            search(words.iter().map(|w| format!("-{w}")).collect::<Vec<_>>().join(" ")).is_ok(),
            "nothing to look for"
        );
    }

    #[test]
    fn reads_check_the_page_and_identifiers() {
        assert_eq!(message(ListSessions::new("acme", 1000).validate()), "");
        assert_eq!(message(ListSessions::new("acme", 0).validate()), "limit: must be between 1 and 1000, got 0");
        assert_eq!(message(ListMessages { after_seq: Some(7), ..ListMessages::new("acme", "s", 100) }.validate()), "");
        assert_eq!(message(ListMessages::new("", "s", 100).validate()), "tenant: must be 1 to 200 bytes without NUL");
        assert_eq!(
            message(ListMessages::new("acme", "s\0", 100).validate()),
            "session_id: must be 1 to 200 bytes without NUL"
        );
        assert_eq!(
            message(ListMessages::new("acme", "s", 1001).validate()),
            "limit: must be between 1 and 1000, got 1001"
        );
    }

    #[test]
    fn text_searches_check_the_query() {
        assert_eq!(message(TextSearch::new("acme", "", 10).validate()), "", "an empty query finds nothing");
        assert_eq!(
            message(
                TextSearch { session_id: Some("s".into()), ..TextSearch::new("acme", "a".repeat(10_000), 10) }
                    .validate()
            ),
            ""
        );
        assert_eq!(
            message(TextSearch::new("acme", "a".repeat(10_001), 10).validate()),
            "query: is longer than 10000 bytes"
        );
        assert_eq!(message(TextSearch::new("acme", "nul\0", 10).validate()), "query: contains a NUL byte");
        assert_eq!(
            message(TextSearch::new("acme", "nul\0", 0).validate()),
            "limit: must be between 1 and 1000, got 0",
            "the page is checked first, as the PostgreSQL backend did"
        );
        assert_eq!(
            message(TextSearch { session_id: Some("".into()), ..TextSearch::new("acme", "q", 10) }.validate()),
            "session_id: must be 1 to 200 bytes without NUL"
        );
    }
}
