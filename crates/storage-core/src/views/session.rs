//! Views of sessions, messages, artifacts and agents: lists with their count, text-search hits naming what they found, and the artifact brief (its size, not its content).

use serde::{Deserialize, Serialize};

// Declared beside `Artifact` from the same field list (`record_and_brief!`).
pub use crate::session::ArtifactBrief;
use crate::session::{Agent, Artifact, Message, Session, TextHit};

counted_list! {
    /// A page of sessions: `{"count", "sessions"}`, most recent activity first.
    SessionList {
        /// Sessions in this page.
        count,
        /// Most recent activity first.
        sessions: Session,
    }
}

counted_list! {
    /// Messages: `{"count", "messages"}`, in append order.
    MessageList {
        /// Messages listed.
        count,
        /// In append order.
        messages: Message,
    }
}

/// A message found by full-text search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageHit {
    /// Relevance in [0, 1], the best hit scoring 1.
    pub score: f32,
    /// The message.
    pub message: Message,
}

/// Message search results: `{"hits": [{"score", "message"}]}`, best first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageHits {
    /// Best first.
    pub hits: Vec<MessageHit>,
}

impl MessageHits {
    /// The results of a search that found `hits`.
    pub fn new(hits: Vec<TextHit<Message>>) -> Self {
        MessageHits { hits: hits.into_iter().map(|hit| MessageHit { score: hit.score, message: hit.item }).collect() }
    }
}

counted_list! {
    /// Artifacts: `{"count", "artifacts"}`, briefs, newest first.
    ArtifactList {
        /// Artifacts listed.
        count,
        /// Newest first.
        artifacts: ArtifactBrief,
    }
}

/// An artifact found by full-text search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArtifactHit {
    /// Relevance in [0, 1], the best hit scoring 1.
    pub score: f32,
    /// The artifact, without its content.
    pub artifact: ArtifactBrief,
}

/// Artifact search results: `{"hits": [{"score", "artifact"}]}`, best first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArtifactHits {
    /// Best first.
    pub hits: Vec<ArtifactHit>,
}

impl ArtifactHits {
    /// The results of a search that found `hits`.
    pub fn new(hits: Vec<TextHit<Artifact>>) -> Self {
        let hits = hits.into_iter().map(|hit| ArtifactHit { score: hit.score, artifact: hit.item.into() }).collect();
        ArtifactHits { hits }
    }
}

counted_list! {
    /// Agents: `{"count", "agents"}`, by name.
    AgentList {
        /// Agents listed.
        count,
        /// By name.
        agents: Agent,
    }
}
