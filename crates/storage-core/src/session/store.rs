//! The `SessionStore` trait.

use std::fmt;

use async_trait::async_trait;

use super::summary::SessionSummary;
use super::types::{
    Agent, AgentStatus, AppendOutcome, Artifact, ListMessages, ListSessions, Message, MessageHit, NewAgent,
    NewArtifact, NewMessage, NewSession, Session, SessionStatus, TextHit, TextSearch,
};

/// Sessions, their messages and artifacts, and the agent registry, confined per tenant: an id of another
/// tenant behaves like one that does not exist (`NotFound` for writes, `None` for reads).
///
/// Every write under a session (message, artifact, a task with its `session_id`, a status change) sets the
/// session's `last_activity_at` in the same transaction. Full-text search uses the keyword syntax of
/// [`crate::SearchRequest::text`] and finds words anywhere in contents of any size.
///
/// A backend checks every request and new record with its `validate()` before it reads or writes anything,
/// so each rule is core's, the same on every backend.
#[async_trait]
pub trait SessionStore: Send + Sync + fmt::Debug + 'static {
    /// Creates a session; an existing id is returned unchanged.
    async fn create_session(&self, session: NewSession) -> crate::Result<Session>;

    /// One session with exact counts.
    async fn get_session(&self, tenant: &str, id: &str) -> crate::Result<Option<Session>>;

    /// Changes a session's status (`completed` sets `completed_at`; leaving it clears it).
    async fn set_session_status(&self, tenant: &str, id: &str, status: SessionStatus) -> crate::Result<Session>;

    /// Sessions by status, most recent activity first, then id.
    async fn list_sessions(&self, request: &ListSessions) -> crate::Result<Vec<Session>>;

    /// The session with its duration and task counts per status.
    async fn session_summary(&self, tenant: &str, id: &str) -> crate::Result<SessionSummary>;

    /// Appends a message, idempotent by its id.
    async fn append_message(&self, tenant: &str, session_id: &str, message: NewMessage)
    -> crate::Result<AppendOutcome>;

    /// Messages of a session in append order, after `after_seq` (exclusive), at most `limit`.
    async fn list_messages(&self, request: &ListMessages) -> crate::Result<Vec<Message>>;

    /// Full-text search over messages of one session, or of every session of the tenant; equal scores list
    /// by session id, then `seq`.
    async fn search_messages(&self, request: &TextSearch) -> crate::Result<Vec<MessageHit>>;

    /// Stores an artifact, replacing one with the same session and id.
    async fn put_artifact(&self, tenant: &str, session_id: &str, artifact: NewArtifact) -> crate::Result<Artifact>;

    /// One artifact.
    async fn get_artifact(&self, tenant: &str, session_id: &str, id: &str) -> crate::Result<Option<Artifact>>;

    /// Artifacts of a session, newest first; artifacts created at the same instant in id order.
    async fn list_artifacts(&self, tenant: &str, session_id: &str) -> crate::Result<Vec<Artifact>>;

    /// Full-text search over artifact names and contents, in one session or the whole tenant; equal scores
    /// list by session id, then artifact id.
    async fn search_artifacts(&self, request: &TextSearch) -> crate::Result<Vec<TextHit<Artifact>>>;

    /// Registers or updates an agent (status `available`, heartbeat now).
    async fn register_agent(&self, tenant: &str, agent: NewAgent) -> crate::Result<Agent>;

    /// Records a heartbeat and status.
    async fn agent_heartbeat(&self, tenant: &str, name: &str, status: AgentStatus) -> crate::Result<Agent>;

    /// Agents of the tenant, by name, optionally only those with `status`.
    async fn list_agents(&self, tenant: &str, status: Option<AgentStatus>) -> crate::Result<Vec<Agent>>;
}
