//! Request bodies and query parameters of the session, message, artifact and agent routes (`/tenants/{tenant}/...`) that core's types do not cover; the responses are core's types and views.

use serde::{Deserialize, Serialize};
use storage_core::Metadata;
use storage_core::session::{AgentStatus, ListMessages, NewSession, SessionStatus, TextSearch};
use utoipa::{IntoParams, ToSchema};

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
    pub(crate) status: SessionStatus,
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

impl ListMessagesParams {
    /// Core's request for the messages of `session` in `tenant`, 100 when no limit is given.
    pub(crate) fn in_session(self, tenant: String, session: String) -> storage_core::Result<ListMessages> {
        let limit = storage_core::page_limit(self.limit, 100)?;
        Ok(ListMessages { tenant, session_id: session, after_seq: self.after_seq, limit })
    }
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

impl TextSearchParams {
    /// Core's search in `tenant`, 20 hits when no limit is given.
    pub(crate) fn in_tenant(self, tenant: String) -> storage_core::Result<TextSearch> {
        let limit = storage_core::page_limit(self.limit, 20)?;
        Ok(TextSearch { tenant, session_id: self.session_id, query: self.q, limit })
    }
}

/// `GET .../agents` parameters.
#[derive(Clone, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListAgentsParams {
    /// Only agents with this status.
    pub(crate) status: Option<AgentStatus>,
}

/// `POST .../agents/{name}/heartbeat`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HeartbeatBody {
    /// The agent's status now (default available).
    #[serde(default)]
    pub(crate) status: Option<AgentStatus>,
}
