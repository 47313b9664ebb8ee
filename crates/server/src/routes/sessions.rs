//! `/tenants/{tenant}/sessions|messages|artifacts|agents/...`: conversations, their messages and artifacts, full-text search, and the agent registry.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use storage_core::session::{
    Agent, AgentStatus, AppendOutcome, Artifact, ListSessions, NewAgent, NewArtifact, NewMessage, Session,
    SessionSummary,
};
use storage_core::views::{AgentList, ArtifactHits, ArtifactList, MessageHits, MessageList, SessionList};

use crate::dto::path::{AgentPath, ArtifactPath, SessionPath, TenantPath};
use crate::dto::session::{
    HeartbeatBody, ListAgentsParams, ListMessagesParams, ListSessionsParams, SessionBody, SessionStatusBody,
    TextSearchParams,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiJsonOrDefault, ApiPath, ApiQuery};
use crate::state::{AppState, comma_list};

/// Creates a session; 200 with the stored session when its id exists already.
#[utoipa::path(post, path = "/tenants/{tenant}/sessions", tag = "sessions", request_body = SessionBody,
    params(TenantPath),
    responses(
        (status = 201, description = "Created", body = Session),
        (status = 200, description = "It existed already", body = Session)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiJson(body): ApiJson<SessionBody>,
) -> ApiResult<(StatusCode, Json<Session>)> {
    let new = body.in_tenant(&tenant);
    new.validate()?;
    let existed = match &new.id {
        Some(id) => state.stores.sessions.get_session(&tenant, id).await?.is_some(),
        None => false,
    };
    let session = state.stores.sessions.create_session(new).await?;
    Ok((if existed { StatusCode::OK } else { StatusCode::CREATED }, Json(session)))
}

/// Sessions, most recent activity first.
#[utoipa::path(get, path = "/tenants/{tenant}/sessions", tag = "sessions",
    params(TenantPath, ListSessionsParams),
    responses((status = 200, description = "Most recent activity first", body = SessionList)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiQuery(params): ApiQuery<ListSessionsParams>,
) -> ApiResult<Json<SessionList>> {
    let request = ListSessions {
        tenant,
        statuses: comma_list("statuses", params.statuses.as_deref())?,
        limit: storage_core::page_limit(params.limit, 50)?,
        offset: params.offset.unwrap_or(0),
    };
    let sessions = state.stores.sessions.list_sessions(&request).await?;
    Ok(Json(SessionList::new(sessions)))
}

/// One session, with exact counts.
#[utoipa::path(get, path = "/tenants/{tenant}/sessions/{session}", tag = "sessions",
    params(TenantPath, SessionPath),
    responses((status = 200, description = "The session", body = Session)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiPath(session): ApiPath<SessionPath>,
) -> ApiResult<Json<Session>> {
    match state.stores.sessions.get_session(&tenant, &session).await? {
        Some(found) => Ok(Json(found)),
        None => Err(ApiError::not_found(format!("session `{session}` in tenant `{tenant}` was not found"))),
    }
}

/// Changes a session's status (`completed` sets `completed_at`).
#[utoipa::path(post, path = "/tenants/{tenant}/sessions/{session}/status", tag = "sessions", request_body = SessionStatusBody,
    params(TenantPath, SessionPath),
    responses((status = 200, description = "The session", body = Session)))]
pub(crate) async fn set_status(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiPath(session): ApiPath<SessionPath>,
    ApiJson(body): ApiJson<SessionStatusBody>,
) -> ApiResult<Json<Session>> {
    Ok(Json(state.stores.sessions.set_session_status(&tenant, &session, body.status).await?))
}

/// The session with its duration and task counts per status.
#[utoipa::path(get, path = "/tenants/{tenant}/sessions/{session}/summary", tag = "sessions",
    params(TenantPath, SessionPath),
    responses((status = 200, description = "The summary", body = SessionSummary)))]
pub(crate) async fn summary(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiPath(session): ApiPath<SessionPath>,
) -> ApiResult<Json<SessionSummary>> {
    Ok(Json(state.stores.sessions.session_summary(&tenant, &session).await?))
}

/// Appends a message, idempotent by its id: 201 when added, 200 when the id existed.
#[utoipa::path(post, path = "/tenants/{tenant}/sessions/{session}/messages", tag = "sessions", request_body = NewMessage,
    params(TenantPath, SessionPath),
    responses(
        (status = 201, description = "Appended", body = AppendOutcome),
        (status = 200, description = "A message with this id existed", body = AppendOutcome)))]
pub(crate) async fn append(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiPath(session): ApiPath<SessionPath>,
    ApiJson(body): ApiJson<NewMessage>,
) -> ApiResult<(StatusCode, Json<AppendOutcome>)> {
    let outcome = state.stores.sessions.append_message(&tenant, &session, body).await?;
    Ok((if outcome.created { StatusCode::CREATED } else { StatusCode::OK }, Json(outcome)))
}

/// Messages in append order, after `after_seq`.
#[utoipa::path(get, path = "/tenants/{tenant}/sessions/{session}/messages", tag = "sessions",
    params(TenantPath, SessionPath, ListMessagesParams),
    responses((status = 200, description = "In append order", body = MessageList)))]
pub(crate) async fn messages(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiPath(session): ApiPath<SessionPath>,
    ApiQuery(params): ApiQuery<ListMessagesParams>,
) -> ApiResult<Json<MessageList>> {
    let messages = state.stores.sessions.list_messages(&params.in_session(tenant, session)?).await?;
    Ok(Json(MessageList::new(messages)))
}

/// Full-text search over messages of one session (`session_id`) or of the whole tenant.
#[utoipa::path(get, path = "/tenants/{tenant}/messages/search", tag = "sessions",
    params(TenantPath, TextSearchParams),
    responses((status = 200, description = "Best first", body = MessageHits)))]
pub(crate) async fn search_messages(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiQuery(params): ApiQuery<TextSearchParams>,
) -> ApiResult<Json<MessageHits>> {
    let hits = state.stores.sessions.search_messages(&params.in_tenant(tenant)?).await?;
    Ok(Json(MessageHits::new(hits)))
}

/// Stores an artifact, replacing the one with the same session and id.
#[utoipa::path(post, path = "/tenants/{tenant}/sessions/{session}/artifacts", tag = "sessions", request_body = NewArtifact,
    params(TenantPath, SessionPath),
    responses((status = 200, description = "The stored artifact", body = Artifact)))]
pub(crate) async fn put_artifact(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiPath(session): ApiPath<SessionPath>,
    ApiJson(body): ApiJson<NewArtifact>,
) -> ApiResult<Json<Artifact>> {
    Ok(Json(state.stores.sessions.put_artifact(&tenant, &session, body).await?))
}

/// Artifacts of a session, newest first.
#[utoipa::path(get, path = "/tenants/{tenant}/sessions/{session}/artifacts", tag = "sessions",
    params(TenantPath, SessionPath),
    responses((status = 200, description = "Newest first", body = ArtifactList)))]
pub(crate) async fn artifacts(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiPath(session): ApiPath<SessionPath>,
) -> ApiResult<Json<ArtifactList>> {
    let artifacts = state.stores.sessions.list_artifacts(&tenant, &session).await?;
    Ok(Json(ArtifactList::new(artifacts)))
}

/// One artifact.
#[utoipa::path(get, path = "/tenants/{tenant}/sessions/{session}/artifacts/{artifact}", tag = "sessions",
    params(TenantPath, SessionPath, ArtifactPath),
    responses((status = 200, description = "The artifact", body = Artifact)))]
pub(crate) async fn get_artifact(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiPath(session): ApiPath<SessionPath>,
    ApiPath(artifact): ApiPath<ArtifactPath>,
) -> ApiResult<Json<Artifact>> {
    match state.stores.sessions.get_artifact(&tenant, &session, &artifact).await? {
        Some(found) => Ok(Json(found)),
        None => Err(ApiError::not_found(format!(
            "artifact `{artifact}` of session `{session}` in tenant `{tenant}` was not found"
        ))),
    }
}

/// Full-text search over artifact names and contents, in one session (`session_id`) or the whole tenant.
#[utoipa::path(get, path = "/tenants/{tenant}/artifacts/search", tag = "sessions",
    params(TenantPath, TextSearchParams),
    responses((status = 200, description = "Best first", body = ArtifactHits)))]
pub(crate) async fn search_artifacts(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiQuery(params): ApiQuery<TextSearchParams>,
) -> ApiResult<Json<ArtifactHits>> {
    let hits = state.stores.sessions.search_artifacts(&params.in_tenant(tenant)?).await?;
    Ok(Json(ArtifactHits::new(hits)))
}

/// Registers or updates an agent (status available, heartbeat now).
#[utoipa::path(post, path = "/tenants/{tenant}/agents", tag = "sessions", request_body = NewAgent,
    params(TenantPath),
    responses((status = 200, description = "The agent", body = Agent)))]
pub(crate) async fn register_agent(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiJson(body): ApiJson<NewAgent>,
) -> ApiResult<Json<Agent>> {
    Ok(Json(state.stores.sessions.register_agent(&tenant, body).await?))
}

/// Agents of the tenant, by name.
#[utoipa::path(get, path = "/tenants/{tenant}/agents", tag = "sessions",
    params(TenantPath, ListAgentsParams),
    responses((status = 200, description = "By name", body = AgentList)))]
pub(crate) async fn agents(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiQuery(params): ApiQuery<ListAgentsParams>,
) -> ApiResult<Json<AgentList>> {
    let agents = state.stores.sessions.list_agents(&tenant, params.status).await?;
    Ok(Json(AgentList::new(agents)))
}

/// Records an agent's heartbeat and status.
#[utoipa::path(post, path = "/tenants/{tenant}/agents/{name}/heartbeat", tag = "sessions", request_body = Option<HeartbeatBody>,
    params(TenantPath, AgentPath),
    responses((status = 200, description = "The agent", body = Agent)))]
pub(crate) async fn agent_heartbeat(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiPath(name): ApiPath<AgentPath>,
    ApiJsonOrDefault(body): ApiJsonOrDefault<HeartbeatBody>,
) -> ApiResult<Json<Agent>> {
    let status = body.status.unwrap_or(AgentStatus::Available);
    Ok(Json(state.stores.sessions.agent_heartbeat(&tenant, &name, status).await?))
}
