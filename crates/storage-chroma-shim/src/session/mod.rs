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
    check_identifier,
};

use crate::store::EmbeddedStore;

#[async_trait]
impl SessionStore for EmbeddedStore {
    async fn create_session(&self, session: NewSession) -> storage_core::Result<Session> {
        sessions::create(self.db().await?, session).await
    }

    async fn get_session(&self, tenant: &str, id: &str) -> storage_core::Result<Option<Session>> {
        check_identifier("tenant", tenant)?;
        sessions::get_session(self.db().await?, tenant, id).await
    }

    async fn set_session_status(&self, tenant: &str, id: &str, status: SessionStatus) -> storage_core::Result<Session> {
        check_identifier("tenant", tenant)?;
        sessions::set_status(self.db().await?, tenant, id, status).await
    }

    async fn list_sessions(&self, request: &ListSessions) -> storage_core::Result<Vec<Session>> {
        request.validate()?;
        sessions::list(self.db().await?, request).await
    }

    async fn session_summary(&self, tenant: &str, id: &str) -> storage_core::Result<SessionSummary> {
        check_identifier("tenant", tenant)?;
        sessions::summary(self.db().await?, tenant, id).await
    }

    async fn append_message(
        &self,
        tenant: &str,
        session_id: &str,
        message: NewMessage,
    ) -> storage_core::Result<AppendOutcome> {
        check_identifier("tenant", tenant)?;
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
        check_identifier("tenant", tenant)?;
        artifacts::put(self.db().await?, tenant, session_id, artifact).await
    }

    async fn get_artifact(&self, tenant: &str, session_id: &str, id: &str) -> storage_core::Result<Option<Artifact>> {
        check_identifier("tenant", tenant)?;
        artifacts::get_artifact(self.db().await?, tenant, session_id, id).await
    }

    async fn list_artifacts(&self, tenant: &str, session_id: &str) -> storage_core::Result<Vec<Artifact>> {
        check_identifier("tenant", tenant)?;
        artifacts::list(self.db().await?, tenant, session_id).await
    }

    async fn search_artifacts(&self, request: &TextSearch) -> storage_core::Result<Vec<TextHit<Artifact>>> {
        request.validate()?;
        text_search::search(self.db().await?, &artifacts::SEARCHED, request, self.language()).await
    }

    async fn register_agent(&self, tenant: &str, agent: NewAgent) -> storage_core::Result<Agent> {
        check_identifier("tenant", tenant)?;
        agent.validate()?;
        agents::register(self.db().await?, tenant, agent).await
    }

    async fn agent_heartbeat(&self, tenant: &str, name: &str, status: AgentStatus) -> storage_core::Result<Agent> {
        check_identifier("tenant", tenant)?;
        agents::heartbeat(self.db().await?, tenant, name, status).await
    }

    async fn list_agents(&self, tenant: &str, status: Option<AgentStatus>) -> storage_core::Result<Vec<Agent>> {
        check_identifier("tenant", tenant)?;
        agents::list(self.db().await?, tenant, status).await
    }
}
