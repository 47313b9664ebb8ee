//! `/tenants/{tenant}/sessions|messages|artifacts|agents/...`: conversations, their messages and artifacts, full-text search, and the agent registry.

use crate::dto::path::TenantPath;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use storage_core::session::{AgentStatus, ListSessions, check_identifier};

use crate::dto::session::{
    AgentBody, AgentView, AgentsResponse, AppendResponse, ArtifactBody, ArtifactHitView, ArtifactHitsResponse,
    ArtifactView, ArtifactsResponse, HeartbeatBody, ListAgentsParams, ListMessagesParams, ListSessionsParams,
    MessageBody, MessageHitView, MessageHitsResponse, MessageView, MessagesResponse, SessionBody, SessionStatusBody,
    SessionView, SessionsResponse, SummaryResponse, TextSearchParams,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiJsonOrDefault, ApiPath, ApiQuery};
use crate::state::{AppState, comma_list, tenant_name};

/// Creates a session; 200 with the stored session when its id exists already.
#[utoipa::path(post, path = "/tenants/{tenant}/sessions", tag = "sessions", request_body = SessionBody,
    params(TenantPath),
    responses(
        (status = 201, description = "Created", body = SessionView),
        (status = 200, description = "It existed already", body = SessionView)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<String>,
    ApiJson(body): ApiJson<SessionBody>,
) -> ApiResult<(StatusCode, Json<SessionView>)> {
    let tenant = tenant_name(&tenant)?;
    let new = body.in_tenant(tenant);
    new.validate()?;
    let existed = match &new.id {
        Some(id) => state.stores.sessions.get_session(tenant, id).await?.is_some(),
        None => false,
    };
    let session = state.stores.sessions.create_session(new).await?;
    Ok((if existed { StatusCode::OK } else { StatusCode::CREATED }, Json(session.into())))
}

/// Sessions, most recent activity first.
#[utoipa::path(get, path = "/tenants/{tenant}/sessions", tag = "sessions",
    params(TenantPath, ListSessionsParams),
    responses((status = 200, description = "Most recent activity first", body = SessionsResponse)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<String>,
    ApiQuery(params): ApiQuery<ListSessionsParams>,
) -> ApiResult<Json<SessionsResponse>> {
    let tenant = tenant_name(&tenant)?;
    let request = ListSessions {
        tenant: tenant.to_owned(),
        statuses: comma_list("statuses", params.statuses.as_deref())?,
        limit: storage_core::page_limit(params.limit, 50)?,
        offset: params.offset.unwrap_or(0),
    };
    let sessions = state.stores.sessions.list_sessions(&request).await?;
    Ok(Json(SessionsResponse { sessions: sessions.into_iter().map(SessionView::from).collect() }))
}

/// One session, with exact counts.
#[utoipa::path(get, path = "/tenants/{tenant}/sessions/{session}", tag = "sessions",
    params(TenantPath, ("session" = String, Path, description = "Session id", min_length = 1, max_length = 200)),
    responses((status = 200, description = "The session", body = SessionView)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    ApiPath((tenant, session)): ApiPath<(String, String)>,
) -> ApiResult<Json<SessionView>> {
    let tenant = tenant_name(&tenant)?;
    check_identifier("session", &session)?;
    match state.stores.sessions.get_session(tenant, &session).await? {
        Some(found) => Ok(Json(found.into())),
        None => Err(ApiError::not_found(format!("session `{session}` in tenant `{tenant}` was not found"))),
    }
}

/// Changes a session's status (`completed` sets `completed_at`).
#[utoipa::path(post, path = "/tenants/{tenant}/sessions/{session}/status", tag = "sessions", request_body = SessionStatusBody,
    params(TenantPath, ("session" = String, Path, description = "Session id", min_length = 1, max_length = 200)),
    responses((status = 200, description = "The session", body = SessionView)))]
pub(crate) async fn set_status(
    State(state): State<AppState>,
    ApiPath((tenant, session)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<SessionStatusBody>,
) -> ApiResult<Json<SessionView>> {
    let tenant = tenant_name(&tenant)?;
    check_identifier("session", &session)?;
    Ok(Json(state.stores.sessions.set_session_status(tenant, &session, body.status.into()).await?.into()))
}

/// The session with its duration and task counts per status.
#[utoipa::path(get, path = "/tenants/{tenant}/sessions/{session}/summary", tag = "sessions",
    params(TenantPath, ("session" = String, Path, description = "Session id", min_length = 1, max_length = 200)),
    responses((status = 200, description = "The summary", body = SummaryResponse)))]
pub(crate) async fn summary(
    State(state): State<AppState>,
    ApiPath((tenant, session)): ApiPath<(String, String)>,
) -> ApiResult<Json<SummaryResponse>> {
    let tenant = tenant_name(&tenant)?;
    check_identifier("session", &session)?;
    Ok(Json(state.stores.sessions.session_summary(tenant, &session).await?.into()))
}

/// Appends a message, idempotent by its id: 201 when added, 200 when the id existed.
#[utoipa::path(post, path = "/tenants/{tenant}/sessions/{session}/messages", tag = "sessions", request_body = MessageBody,
    params(TenantPath, ("session" = String, Path, description = "Session id", min_length = 1, max_length = 200)),
    responses(
        (status = 201, description = "Appended", body = AppendResponse),
        (status = 200, description = "A message with this id existed", body = AppendResponse)))]
pub(crate) async fn append(
    State(state): State<AppState>,
    ApiPath((tenant, session)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<MessageBody>,
) -> ApiResult<(StatusCode, Json<AppendResponse>)> {
    let tenant = tenant_name(&tenant)?;
    check_identifier("session", &session)?;
    let outcome = state.stores.sessions.append_message(tenant, &session, body.into()).await?;
    Ok((if outcome.created { StatusCode::CREATED } else { StatusCode::OK }, Json(outcome.into())))
}

/// Messages in append order, after `after_seq`.
#[utoipa::path(get, path = "/tenants/{tenant}/sessions/{session}/messages", tag = "sessions",
    params(TenantPath, ("session" = String, Path, description = "Session id", min_length = 1, max_length = 200), ListMessagesParams),
    responses((status = 200, description = "In append order", body = MessagesResponse)))]
pub(crate) async fn messages(
    State(state): State<AppState>,
    ApiPath((tenant, session)): ApiPath<(String, String)>,
    ApiQuery(params): ApiQuery<ListMessagesParams>,
) -> ApiResult<Json<MessagesResponse>> {
    let tenant = tenant_name(&tenant)?;
    check_identifier("session", &session)?;
    let limit = storage_core::page_limit(params.limit, 100)?;
    let messages = state.stores.sessions.list_messages(tenant, &session, params.after_seq, limit).await?;
    Ok(Json(MessagesResponse { messages: messages.into_iter().map(MessageView::from).collect() }))
}

/// Full-text search over messages of one session (`session_id`) or of the whole tenant.
#[utoipa::path(get, path = "/tenants/{tenant}/messages/search", tag = "sessions",
    params(TenantPath, TextSearchParams),
    responses((status = 200, description = "Best first", body = MessageHitsResponse)))]
pub(crate) async fn search_messages(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<String>,
    ApiQuery(params): ApiQuery<TextSearchParams>,
) -> ApiResult<Json<MessageHitsResponse>> {
    let tenant = tenant_name(&tenant)?;
    let limit = storage_core::page_limit(params.limit, 20)?;
    let hits = state.stores.sessions.search_messages(tenant, params.session_id.as_deref(), &params.q, limit).await?;
    Ok(Json(MessageHitsResponse { hits: hits.into_iter().map(MessageHitView::from).collect() }))
}

/// Stores an artifact, replacing the one with the same session and id.
#[utoipa::path(post, path = "/tenants/{tenant}/sessions/{session}/artifacts", tag = "sessions", request_body = ArtifactBody,
    params(TenantPath, ("session" = String, Path, description = "Session id", min_length = 1, max_length = 200)),
    responses((status = 200, description = "The stored artifact", body = ArtifactView)))]
pub(crate) async fn put_artifact(
    State(state): State<AppState>,
    ApiPath((tenant, session)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<ArtifactBody>,
) -> ApiResult<Json<ArtifactView>> {
    let tenant = tenant_name(&tenant)?;
    check_identifier("session", &session)?;
    Ok(Json(state.stores.sessions.put_artifact(tenant, &session, body.into()).await?.into()))
}

/// Artifacts of a session, newest first.
#[utoipa::path(get, path = "/tenants/{tenant}/sessions/{session}/artifacts", tag = "sessions",
    params(TenantPath, ("session" = String, Path, description = "Session id", min_length = 1, max_length = 200)),
    responses((status = 200, description = "Newest first", body = ArtifactsResponse)))]
pub(crate) async fn artifacts(
    State(state): State<AppState>,
    ApiPath((tenant, session)): ApiPath<(String, String)>,
) -> ApiResult<Json<ArtifactsResponse>> {
    let tenant = tenant_name(&tenant)?;
    check_identifier("session", &session)?;
    let artifacts = state.stores.sessions.list_artifacts(tenant, &session).await?;
    Ok(Json(ArtifactsResponse { artifacts: artifacts.into_iter().map(ArtifactView::from).collect() }))
}

/// One artifact.
#[utoipa::path(get, path = "/tenants/{tenant}/sessions/{session}/artifacts/{artifact}", tag = "sessions",
    params(TenantPath, ("session" = String, Path, description = "Session id", min_length = 1, max_length = 200),
        ("artifact" = String, Path, description = "Artifact id")),
    responses((status = 200, description = "The artifact", body = ArtifactView)))]
pub(crate) async fn get_artifact(
    State(state): State<AppState>,
    ApiPath((tenant, session, artifact)): ApiPath<(String, String, String)>,
) -> ApiResult<Json<ArtifactView>> {
    let tenant = tenant_name(&tenant)?;
    check_identifier("session", &session)?;
    check_identifier("artifact", &artifact)?;
    match state.stores.sessions.get_artifact(tenant, &session, &artifact).await? {
        Some(found) => Ok(Json(found.into())),
        None => Err(ApiError::not_found(format!(
            "artifact `{artifact}` of session `{session}` in tenant `{tenant}` was not found"
        ))),
    }
}

/// Full-text search over artifact names and contents, in one session (`session_id`) or the whole tenant.
#[utoipa::path(get, path = "/tenants/{tenant}/artifacts/search", tag = "sessions",
    params(TenantPath, TextSearchParams),
    responses((status = 200, description = "Best first", body = ArtifactHitsResponse)))]
pub(crate) async fn search_artifacts(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<String>,
    ApiQuery(params): ApiQuery<TextSearchParams>,
) -> ApiResult<Json<ArtifactHitsResponse>> {
    let tenant = tenant_name(&tenant)?;
    let limit = storage_core::page_limit(params.limit, 20)?;
    let hits = state.stores.sessions.search_artifacts(tenant, params.session_id.as_deref(), &params.q, limit).await?;
    Ok(Json(ArtifactHitsResponse { hits: hits.into_iter().map(ArtifactHitView::from).collect() }))
}

/// Registers or updates an agent (status available, heartbeat now).
#[utoipa::path(post, path = "/tenants/{tenant}/agents", tag = "sessions", request_body = AgentBody,
    params(TenantPath),
    responses((status = 200, description = "The agent", body = AgentView)))]
pub(crate) async fn register_agent(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<String>,
    ApiJson(body): ApiJson<AgentBody>,
) -> ApiResult<Json<AgentView>> {
    let tenant = tenant_name(&tenant)?;
    Ok(Json(state.stores.sessions.register_agent(tenant, body.into()).await?.into()))
}

/// Agents of the tenant, by name.
#[utoipa::path(get, path = "/tenants/{tenant}/agents", tag = "sessions",
    params(TenantPath, ListAgentsParams),
    responses((status = 200, description = "By name", body = AgentsResponse)))]
pub(crate) async fn agents(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<String>,
    ApiQuery(params): ApiQuery<ListAgentsParams>,
) -> ApiResult<Json<AgentsResponse>> {
    let tenant = tenant_name(&tenant)?;
    let agents = state.stores.sessions.list_agents(tenant, params.status.map(AgentStatus::from)).await?;
    Ok(Json(AgentsResponse { agents: agents.into_iter().map(AgentView::from).collect() }))
}

/// Records an agent's heartbeat and status.
#[utoipa::path(post, path = "/tenants/{tenant}/agents/{name}/heartbeat", tag = "sessions", request_body = Option<HeartbeatBody>,
    params(TenantPath, ("name" = String, Path, description = "Agent name")),
    responses((status = 200, description = "The agent", body = AgentView)))]
pub(crate) async fn agent_heartbeat(
    State(state): State<AppState>,
    ApiPath((tenant, name)): ApiPath<(String, String)>,
    ApiJsonOrDefault(body): ApiJsonOrDefault<HeartbeatBody>,
) -> ApiResult<Json<AgentView>> {
    let tenant = tenant_name(&tenant)?;
    check_identifier("name", &name)?;
    let status = body.status.map_or(AgentStatus::Available, AgentStatus::from);
    Ok(Json(state.stores.sessions.agent_heartbeat(tenant, &name, status).await?.into()))
}
