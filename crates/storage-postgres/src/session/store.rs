//! `impl SessionStore for PostgresStore`: validates with core, calls the session SQL, maps errors by
//! cause; no SQL here.

use async_trait::async_trait;
use storage_core::session::{
    Agent, AgentStatus, AppendOutcome, Artifact, ListMessages, ListSessions, Message, MessageHit, NewAgent,
    NewArtifact, NewMessage, NewSession, Session, SessionStatus, SessionStore, SessionSummary, TextHit, TextSearch,
    check_identifier,
};

use super::{agents, artifacts, messages, sessions};
use crate::clock;
use crate::store::PostgresStore;

#[async_trait]
impl SessionStore for PostgresStore {
    async fn create_session(&self, session: NewSession) -> storage_core::Result<Session> {
        session.validate()?;
        sessions::create(self.connection(), session, clock::now()).await.map_err(self.failure("create_session"))
    }

    async fn get_session(&self, tenant: &str, id: &str) -> storage_core::Result<Option<Session>> {
        check_identifier("tenant", tenant)?;
        sessions::get(self.connection(), tenant, id).await.map_err(self.failure("get_session"))
    }

    async fn set_session_status(&self, tenant: &str, id: &str, status: SessionStatus) -> storage_core::Result<Session> {
        check_identifier("tenant", tenant)?;
        sessions::set_status(self.connection(), tenant, id, status, clock::now())
            .await
            .map_err(self.failure("set_session_status"))
    }

    async fn list_sessions(&self, request: &ListSessions) -> storage_core::Result<Vec<Session>> {
        request.validate()?;
        sessions::list(self.connection(), request).await.map_err(self.failure("list_sessions"))
    }

    async fn session_summary(&self, tenant: &str, id: &str) -> storage_core::Result<SessionSummary> {
        check_identifier("tenant", tenant)?;
        let session = sessions::get(self.connection(), tenant, id)
            .await
            .map_err(self.failure("session_summary"))?
            .ok_or_else(|| sessions::missing(tenant, id))?;
        let counts = crate::task::counts_by_status(self.connection(), tenant, Some(id))
            .await
            .map_err(self.failure("session_summary"))?;
        Ok(SessionSummary::new(session, counts))
    }

    async fn append_message(
        &self,
        tenant: &str,
        session_id: &str,
        message: NewMessage,
    ) -> storage_core::Result<AppendOutcome> {
        check_identifier("tenant", tenant)?;
        message.validate()?;
        messages::append(self.connection(), self.text_language(), tenant, session_id, message, clock::now())
            .await
            .map_err(self.failure("append_message"))
    }

    async fn list_messages(&self, request: &ListMessages) -> storage_core::Result<Vec<Message>> {
        request.validate()?;
        messages::list(self.connection(), request).await.map_err(self.failure("list_messages"))
    }

    async fn search_messages(&self, request: &TextSearch) -> storage_core::Result<Vec<MessageHit>> {
        request.validate()?;
        messages::search(self.connection(), self.text_language(), request)
            .await
            .map_err(self.failure("search_messages"))
    }

    async fn put_artifact(
        &self,
        tenant: &str,
        session_id: &str,
        artifact: NewArtifact,
    ) -> storage_core::Result<Artifact> {
        check_identifier("tenant", tenant)?;
        artifact.validate()?;
        artifacts::put(self.connection(), self.text_language(), tenant, session_id, artifact, clock::now())
            .await
            .map_err(self.failure("put_artifact"))
    }

    async fn get_artifact(&self, tenant: &str, session_id: &str, id: &str) -> storage_core::Result<Option<Artifact>> {
        check_identifier("tenant", tenant)?;
        artifacts::get(self.connection(), tenant, session_id, id).await.map_err(self.failure("get_artifact"))
    }

    async fn list_artifacts(&self, tenant: &str, session_id: &str) -> storage_core::Result<Vec<Artifact>> {
        check_identifier("tenant", tenant)?;
        artifacts::list(self.connection(), tenant, session_id).await.map_err(self.failure("list_artifacts"))
    }

    async fn search_artifacts(&self, request: &TextSearch) -> storage_core::Result<Vec<TextHit<Artifact>>> {
        request.validate()?;
        artifacts::search(self.connection(), self.text_language(), request)
            .await
            .map_err(self.failure("search_artifacts"))
    }

    async fn register_agent(&self, tenant: &str, agent: NewAgent) -> storage_core::Result<Agent> {
        check_identifier("tenant", tenant)?;
        agent.validate()?;
        agents::register(self.connection(), tenant, agent, clock::now()).await.map_err(self.failure("register_agent"))
    }

    async fn agent_heartbeat(&self, tenant: &str, name: &str, status: AgentStatus) -> storage_core::Result<Agent> {
        check_identifier("tenant", tenant)?;
        agents::heartbeat(self.connection(), tenant, name, status, clock::now())
            .await
            .map_err(self.failure("agent_heartbeat"))
    }

    async fn list_agents(&self, tenant: &str, status: Option<AgentStatus>) -> storage_core::Result<Vec<Agent>> {
        check_identifier("tenant", tenant)?;
        agents::list(self.connection(), tenant, status).await.map_err(self.failure("list_agents"))
    }
}
