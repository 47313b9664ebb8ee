//! Views of sessions, messages, artifacts and agents: lists with their count, text-search hits naming what they found, and the artifact brief (its size, not its content).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::document::Metadata;
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

/// An artifact as listings and search hits show it: every field of [`Artifact`] in its order, the content
/// replaced by its size in bytes (getting the artifact shows the content).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArtifactBrief {
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
    /// The content's size in bytes.
    pub content_bytes: usize,
    /// Format.
    pub format: String,
    /// Free JSON.
    pub metadata: Metadata,
    /// First stored.
    pub created_at: DateTime<Utc>,
    /// Last stored.
    pub updated_at: DateTime<Utc>,
}

impl From<Artifact> for ArtifactBrief {
    fn from(artifact: Artifact) -> Self {
        // Destructured without `..`: a field added to `Artifact` fails to compile here until briefs show it.
        let Artifact { session_id, id, task_id, kind, name, content, format, metadata, created_at, updated_at } =
            artifact;
        ArtifactBrief {
            session_id,
            id,
            task_id,
            kind,
            name,
            content_bytes: content.len(),
            format,
            metadata,
            created_at,
            updated_at,
        }
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
