//! Collaborative sessions: conversation transcripts (messages), artifacts and an agent registry, behind
//! the [`SessionStore`] trait every backend implements.

mod store;
mod summary;
mod types;

pub use self::store::SessionStore;
pub use self::summary::SessionSummary;
pub use self::types::{
    Agent, AgentStatus, AppendOutcome, Artifact, ArtifactBrief, ListMessages, ListSessions, MAX_MESSAGE_BYTES,
    MAX_TEXT_SEARCH_TERMS, Message, MessageHit, MessageRole, NewAgent, NewArtifact, NewMessage, NewSession, Session,
    SessionStatus, TextHit, TextSearch, check_identifier,
};
