//! `impl SessionStore for EmbeddedStore`: sessions, messages, artifacts and agents in SQLite. No SQL here.

mod agents;
mod artifacts;
mod messages;
pub(crate) mod sessions;
mod text_search;

use async_trait::async_trait;
use storage_core::session::{
    Agent, AgentStatus, AppendOutcome, Artifact, ListMessages, ListSessions, Message, MessageHit, NewAgent,
    NewArtifact, NewMessage, NewSession, Session, SessionStatus, SessionStore, SessionSummary, TextHit, TextSearch,
};

use crate::store::EmbeddedStore;

#[async_trait]
impl SessionStore for EmbeddedStore {
    async fn create_session(&self, session: NewSession) -> storage_core::Result<Session> {
        sessions::create(self.db().await?, session).await
    }

    async fn get_session(&self, tenant: &str, id: &str) -> storage_core::Result<Option<Session>> {
        sessions::get_session(self.db().await?, tenant, id).await
    }

    async fn set_session_status(&self, tenant: &str, id: &str, status: SessionStatus) -> storage_core::Result<Session> {
        sessions::set_status(self.db().await?, tenant, id, status).await
    }

    async fn list_sessions(&self, request: &ListSessions) -> storage_core::Result<Vec<Session>> {
        request.validate()?;
        sessions::list(self.db().await?, request).await
    }

    async fn session_summary(&self, tenant: &str, id: &str) -> storage_core::Result<SessionSummary> {
        sessions::summary(self.db().await?, tenant, id).await
    }

    async fn append_message(
        &self,
        tenant: &str,
        session_id: &str,
        message: NewMessage,
    ) -> storage_core::Result<AppendOutcome> {
        messages::append(self.db().await?, tenant, session_id, message).await
    }

    async fn list_messages(&self, request: &ListMessages) -> storage_core::Result<Vec<Message>> {
        request.validate()?;
        messages::list(self.db().await?, request).await
    }

    async fn search_messages(&self, request: &TextSearch) -> storage_core::Result<Vec<MessageHit>> {
        request.validate()?;
        text_search::search(self.db().await?, &messages::SEARCHED, request, self.language()).await
    }

    async fn put_artifact(
        &self,
        tenant: &str,
        session_id: &str,
        artifact: NewArtifact,
    ) -> storage_core::Result<Artifact> {
        artifacts::put(self.db().await?, tenant, session_id, artifact).await
    }

    async fn get_artifact(&self, tenant: &str, session_id: &str, id: &str) -> storage_core::Result<Option<Artifact>> {
        artifacts::get_artifact(self.db().await?, tenant, session_id, id).await
    }

    async fn list_artifacts(&self, tenant: &str, session_id: &str) -> storage_core::Result<Vec<Artifact>> {
        artifacts::list(self.db().await?, tenant, session_id).await
    }

    async fn search_artifacts(&self, request: &TextSearch) -> storage_core::Result<Vec<TextHit<Artifact>>> {
        request.validate()?;
        text_search::search(self.db().await?, &artifacts::SEARCHED, request, self.language()).await
    }

    async fn register_agent(&self, tenant: &str, agent: NewAgent) -> storage_core::Result<Agent> {
        agents::register(self.db().await?, tenant, agent).await
    }

    async fn agent_heartbeat(&self, tenant: &str, name: &str, status: AgentStatus) -> storage_core::Result<Agent> {
        agents::heartbeat(self.db().await?, tenant, name, status).await
    }

    async fn list_agents(&self, tenant: &str, status: Option<AgentStatus>) -> storage_core::Result<Vec<Agent>> {
        agents::list(self.db().await?, tenant, status).await
    }
}
