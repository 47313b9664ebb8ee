//! Bodies of the session, message, artifact and agent routes (`/tenants/{tenant}/...`), with their OpenAPI schemas.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use storage_core::Metadata;
use storage_core::session::{
    Agent, AgentStatus, AppendOutcome, Artifact, Message, MessageRole, NewAgent, NewArtifact, NewMessage, NewSession,
    Session, SessionStatus, SessionSummary, TextHit,
};
use utoipa::{IntoParams, ToSchema};

use super::memory::mirror_enum;

mirror_enum! {
    /// Where a session stands.
    SessionStatusName mirrors SessionStatus {
        /// In progress.
        Active,
        /// On hold.
        Paused,
        /// Finished.
        Completed,
    }
}

mirror_enum! {
    /// Who wrote a message.
    MessageRoleName mirrors MessageRole {
        /// The human.
        User,
        /// The model.
        Assistant,
        /// System instructions.
        System,
        /// A tool's output.
        Tool,
    }
}

mirror_enum! {
    /// An agent's availability.
    AgentStatusName mirrors AgentStatus {
        /// Ready for work.
        Available,
        /// Working.
        Busy,
        /// Not reachable.
        Offline,
        /// Broken.
        Error,
    }
}

/// `POST .../sessions`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SessionBody {
    /// Client-chosen id (a UUID when absent); creating an existing id returns it unchanged.
    #[serde(default)]
    pub(crate) id: Option<String>,
    /// Title (defaults to the id).
    #[serde(default)]
    pub(crate) title: Option<String>,
    /// Participant names.
    #[serde(default)]
    pub(crate) participants: Vec<String>,
    /// Free JSON.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub(crate) metadata: Metadata,
}

impl SessionBody {
    /// Core's session in `tenant`.
    pub(crate) fn in_tenant(self, tenant: &str) -> NewSession {
        NewSession {
            tenant: tenant.to_owned(),
            id: self.id,
            title: self.title,
            participants: self.participants,
            metadata: self.metadata,
        }
    }
}

/// A session, with exact counts.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct SessionView {
    /// Id, unique within the tenant.
    pub(crate) id: String,
    /// Owner tenant.
    pub(crate) tenant: String,
    /// Title.
    pub(crate) title: String,
    /// Participant names.
    pub(crate) participants: Vec<String>,
    /// Status.
    pub(crate) status: SessionStatusName,
    /// Free JSON.
    pub(crate) metadata: Map<String, Value>,
    /// Created.
    pub(crate) created_at: DateTime<Utc>,
    /// Last write under the session.
    pub(crate) last_activity_at: DateTime<Utc>,
    /// When it was completed.
    pub(crate) completed_at: Option<DateTime<Utc>>,
    /// Messages.
    pub(crate) message_count: u64,
    /// Artifacts.
    pub(crate) artifact_count: u64,
    /// Tasks enqueued under it.
    pub(crate) task_count: u64,
}

impl From<Session> for SessionView {
    fn from(s: Session) -> Self {
        SessionView {
            id: s.id,
            tenant: s.tenant,
            title: s.title,
            participants: s.participants,
            status: s.status.into(),
            metadata: s.metadata.into_map(),
            created_at: s.created_at,
            last_activity_at: s.last_activity_at,
            completed_at: s.completed_at,
            message_count: s.message_count,
            artifact_count: s.artifact_count,
            task_count: s.task_count,
        }
    }
}

/// `GET .../sessions`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct SessionsResponse {
    /// Most recent activity first.
    pub(crate) sessions: Vec<SessionView>,
}

/// `GET .../sessions` parameters.
#[derive(Clone, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListSessionsParams {
    /// Comma-separated statuses (active, paused, completed); any when absent.
    pub(crate) statuses: Option<String>,
    /// Page size, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    pub(crate) limit: Option<usize>,
    /// Sessions to skip.
    pub(crate) offset: Option<usize>,
}

/// `POST .../sessions/{session}/status`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SessionStatusBody {
    /// The new status (`completed` sets `completed_at`).
    pub(crate) status: SessionStatusName,
}

/// `GET .../sessions/{session}/summary`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct SummaryResponse {
    /// The session.
    pub(crate) session: SessionView,
    /// From creation to completion (or to the last activity), in seconds.
    pub(crate) duration_seconds: i64,
    /// Task counts per status.
    pub(crate) tasks_by_status: BTreeMap<String, u64>,
}

impl From<SessionSummary> for SummaryResponse {
    fn from(summary: SessionSummary) -> Self {
        SummaryResponse {
            session: summary.session.into(),
            duration_seconds: summary.duration_seconds,
            tasks_by_status: summary.tasks_by_status,
        }
    }
}

fn default_format() -> String {
    "text".to_owned()
}

/// `POST .../sessions/{session}/messages`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MessageBody {
    /// Client-chosen id: appending the same id again adds nothing.
    #[serde(default)]
    pub(crate) id: Option<String>,
    /// Author role.
    pub(crate) role: MessageRoleName,
    /// Content.
    pub(crate) content: String,
    /// Format (default `text`).
    #[serde(default = "default_format")]
    pub(crate) format: String,
    /// Free JSON.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub(crate) metadata: Metadata,
}

impl From<MessageBody> for NewMessage {
    fn from(body: MessageBody) -> Self {
        NewMessage {
            id: body.id,
            role: body.role.into(),
            content: body.content,
            format: body.format,
            metadata: body.metadata,
        }
    }
}

/// A message.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct MessageView {
    /// Session id.
    pub(crate) session_id: String,
    /// Id, unique within the session.
    pub(crate) id: String,
    /// Position in the session.
    pub(crate) seq: i64,
    /// Author role.
    pub(crate) role: MessageRoleName,
    /// Content.
    pub(crate) content: String,
    /// Format.
    pub(crate) format: String,
    /// Free JSON.
    pub(crate) metadata: Map<String, Value>,
    /// Appended.
    pub(crate) created_at: DateTime<Utc>,
}

impl From<Message> for MessageView {
    fn from(m: Message) -> Self {
        MessageView {
            session_id: m.session_id,
            id: m.id,
            seq: m.seq,
            role: m.role.into(),
            content: m.content,
            format: m.format,
            metadata: m.metadata.into_map(),
            created_at: m.created_at,
        }
    }
}

/// What an append did.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct AppendResponse {
    /// The stored message.
    pub(crate) message: MessageView,
    /// False when a message with the same id already existed.
    pub(crate) created: bool,
}

impl From<AppendOutcome> for AppendResponse {
    fn from(outcome: AppendOutcome) -> Self {
        AppendResponse { message: outcome.message.into(), created: outcome.created }
    }
}

/// `GET .../sessions/{session}/messages` parameters.
#[derive(Clone, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListMessagesParams {
    /// Only messages after this position.
    pub(crate) after_seq: Option<i64>,
    /// At most this many, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub(crate) limit: Option<usize>,
}

/// A list of messages.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct MessagesResponse {
    /// In append order.
    pub(crate) messages: Vec<MessageView>,
}

/// Full-text search parameters (messages and artifacts).
#[derive(Clone, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct TextSearchParams {
    /// The query (keyword syntax: words are ANDed, "quoted phrases", `or`, `-word`).
    pub(crate) q: String,
    /// Only this session (the whole tenant when absent).
    pub(crate) session_id: Option<String>,
    /// At most this many, 1 to 1000 (default 20).
    #[param(minimum = 1, maximum = 1000)]
    pub(crate) limit: Option<usize>,
}

/// A message found by full-text search.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct MessageHitView {
    /// The message.
    pub(crate) item: MessageView,
    /// Relevance in [0, 1], the best hit scoring 1.
    pub(crate) score: f32,
}

impl From<TextHit<Message>> for MessageHitView {
    fn from(hit: TextHit<Message>) -> Self {
        MessageHitView { item: hit.item.into(), score: hit.score }
    }
}

/// `GET .../messages/search`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct MessageHitsResponse {
    /// Best first.
    pub(crate) hits: Vec<MessageHitView>,
}

/// `POST .../sessions/{session}/artifacts` (upserted by session and id).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ArtifactBody {
    /// Id, unique within the session (generated when absent).
    #[serde(default)]
    pub(crate) id: Option<String>,
    /// The task that produced it.
    #[serde(default)]
    pub(crate) task_id: Option<String>,
    /// Kind (`code`, `document`, `report`...).
    pub(crate) kind: String,
    /// Name.
    pub(crate) name: String,
    /// Content.
    pub(crate) content: String,
    /// Format (default `text`).
    #[serde(default = "default_format")]
    pub(crate) format: String,
    /// Free JSON.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub(crate) metadata: Metadata,
}

impl From<ArtifactBody> for NewArtifact {
    fn from(body: ArtifactBody) -> Self {
        NewArtifact {
            id: body.id,
            task_id: body.task_id,
            kind: body.kind,
            name: body.name,
            content: body.content,
            format: body.format,
            metadata: body.metadata,
        }
    }
}

/// An artifact.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ArtifactView {
    /// Session id.
    pub(crate) session_id: String,
    /// Id, unique within the session.
    pub(crate) id: String,
    /// Producing task.
    pub(crate) task_id: Option<String>,
    /// Kind.
    pub(crate) kind: String,
    /// Name.
    pub(crate) name: String,
    /// Content.
    pub(crate) content: String,
    /// Format.
    pub(crate) format: String,
    /// Free JSON.
    pub(crate) metadata: Map<String, Value>,
    /// First stored.
    pub(crate) created_at: DateTime<Utc>,
    /// Last stored.
    pub(crate) updated_at: DateTime<Utc>,
}

impl From<Artifact> for ArtifactView {
    fn from(a: Artifact) -> Self {
        ArtifactView {
            session_id: a.session_id,
            id: a.id,
            task_id: a.task_id,
            kind: a.kind,
            name: a.name,
            content: a.content,
            format: a.format,
            metadata: a.metadata.into_map(),
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// A list of artifacts.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ArtifactsResponse {
    /// Newest first.
    pub(crate) artifacts: Vec<ArtifactView>,
}

/// An artifact found by full-text search.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ArtifactHitView {
    /// The artifact.
    pub(crate) item: ArtifactView,
    /// Relevance in [0, 1], the best hit scoring 1.
    pub(crate) score: f32,
}

impl From<TextHit<Artifact>> for ArtifactHitView {
    fn from(hit: TextHit<Artifact>) -> Self {
        ArtifactHitView { item: hit.item.into(), score: hit.score }
    }
}

/// `GET .../artifacts/search`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ArtifactHitsResponse {
    /// Best first.
    pub(crate) hits: Vec<ArtifactHitView>,
}

/// `POST .../agents` (upserted by name).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AgentBody {
    /// Name, unique within the tenant.
    pub(crate) name: String,
    /// Kind (`code`, `research`...).
    pub(crate) kind: String,
    /// What it can do.
    #[serde(default)]
    pub(crate) capabilities: Vec<String>,
    /// Free JSON.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub(crate) metadata: Metadata,
}

impl From<AgentBody> for NewAgent {
    fn from(body: AgentBody) -> Self {
        NewAgent { name: body.name, kind: body.kind, capabilities: body.capabilities, metadata: body.metadata }
    }
}

/// A registered agent.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct AgentView {
    /// Owner tenant.
    pub(crate) tenant: String,
    /// Name.
    pub(crate) name: String,
    /// Kind.
    pub(crate) kind: String,
    /// Capabilities.
    pub(crate) capabilities: Vec<String>,
    /// Availability.
    pub(crate) status: AgentStatusName,
    /// Last heartbeat.
    pub(crate) last_heartbeat_at: Option<DateTime<Utc>>,
    /// Free JSON.
    pub(crate) metadata: Map<String, Value>,
    /// Registered.
    pub(crate) created_at: DateTime<Utc>,
    /// Last changed.
    pub(crate) updated_at: DateTime<Utc>,
}

impl From<Agent> for AgentView {
    fn from(a: Agent) -> Self {
        AgentView {
            tenant: a.tenant,
            name: a.name,
            kind: a.kind,
            capabilities: a.capabilities,
            status: a.status.into(),
            last_heartbeat_at: a.last_heartbeat_at,
            metadata: a.metadata.into_map(),
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// `GET .../agents`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct AgentsResponse {
    /// By name.
    pub(crate) agents: Vec<AgentView>,
}

/// `GET .../agents` parameters.
#[derive(Clone, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListAgentsParams {
    /// Only agents with this status.
    pub(crate) status: Option<AgentStatusName>,
}

/// `POST .../agents/{name}/heartbeat`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HeartbeatBody {
    /// The agent's status now (default available).
    #[serde(default)]
    pub(crate) status: Option<AgentStatusName>,
}
