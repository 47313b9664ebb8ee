//! `/tenants/{tenant}/tasks/...`: the shared task queue — enqueue, claim, heartbeat, complete, fail, cancel, get, list, stats.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use storage_core::task::{ClaimRequest, EnqueueOutcome, ListTasks, Task, check_lease_ms};
use storage_core::views::{ClaimedTask, TaskList, TaskStats};

use crate::dto::path::{TaskIdPath, TenantPath};
use crate::dto::task::{ClaimBody, CompleteBody, FailBody, ListTasksParams, TaskBody, TaskHeartbeatBody};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::{AppState, comma_list, comma_strings};

/// Enqueues a task, idempotent per `dedup_key`: 201 when created, 200 with the existing task otherwise.
#[utoipa::path(post, path = "/tenants/{tenant}/tasks", tag = "tasks", request_body = TaskBody,
    params(TenantPath),
    responses(
        (status = 201, description = "Enqueued", body = EnqueueOutcome),
        (status = 200, description = "The dedup key matched an existing task", body = EnqueueOutcome)))]
pub(crate) async fn enqueue(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiJson(body): ApiJson<TaskBody>,
) -> ApiResult<(StatusCode, Json<EnqueueOutcome>)> {
    let task = body.in_tenant(&tenant);
    task.validate()?;
    let outcome = state.stores.tasks.enqueue(task).await?;
    Ok((if outcome.created { StatusCode::CREATED } else { StatusCode::OK }, Json(outcome)))
}

/// Claims the best eligible task (highest priority, then oldest) under a new lease; `task` is null when none is eligible.
#[utoipa::path(post, path = "/tenants/{tenant}/tasks/claim", tag = "tasks", request_body = ClaimBody,
    params(TenantPath),
    responses((status = 200, description = "The claimed task, or null", body = ClaimedTask)))]
pub(crate) async fn claim(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiJson(body): ApiJson<ClaimBody>,
) -> ApiResult<Json<ClaimedTask>> {
    let request = ClaimRequest { tenant, agent: body.agent, kinds: body.kinds, lease_ms: body.lease_ms };
    request.validate()?;
    let task = state.stores.tasks.claim(&request).await?;
    Ok(Json(ClaimedTask { task }))
}

/// Extends a lease; 409 `conflict` once the lease was lost.
#[utoipa::path(post, path = "/tenants/{tenant}/tasks/{id}/heartbeat", tag = "tasks", request_body = TaskHeartbeatBody,
    params(TenantPath, TaskIdPath),
    responses((status = 200, description = "The task", body = Task)))]
pub(crate) async fn heartbeat(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiPath(id): ApiPath<TaskIdPath>,
    ApiJson(body): ApiJson<TaskHeartbeatBody>,
) -> ApiResult<Json<Task>> {
    check_lease_ms(body.lease_ms)?;
    Ok(Json(state.stores.tasks.heartbeat(&tenant, id, body.lease_id, body.lease_ms).await?))
}

/// Completes a running task with its result; 409 `conflict` once the lease was lost.
#[utoipa::path(post, path = "/tenants/{tenant}/tasks/{id}/complete", tag = "tasks", request_body = CompleteBody,
    params(TenantPath, TaskIdPath),
    responses((status = 200, description = "The task, completed", body = Task)))]
pub(crate) async fn complete(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiPath(id): ApiPath<TaskIdPath>,
    ApiJson(body): ApiJson<CompleteBody>,
) -> ApiResult<Json<Task>> {
    Ok(Json(state.stores.tasks.complete(&tenant, id, body.lease_id, body.result).await?))
}

/// Records a failed attempt: back to pending after the backoff, or dead-lettered after `max_attempts`.
#[utoipa::path(post, path = "/tenants/{tenant}/tasks/{id}/fail", tag = "tasks", request_body = FailBody,
    params(TenantPath, TaskIdPath),
    responses((status = 200, description = "The task", body = Task)))]
pub(crate) async fn fail(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiPath(id): ApiPath<TaskIdPath>,
    ApiJson(body): ApiJson<FailBody>,
) -> ApiResult<Json<Task>> {
    Ok(Json(state.stores.tasks.fail(&tenant, id, body.lease_id, &body.error).await?))
}

/// Cancels a pending or running task; a finished task gives 409 `conflict`.
#[utoipa::path(post, path = "/tenants/{tenant}/tasks/{id}/cancel", tag = "tasks",
    params(TenantPath, TaskIdPath),
    responses((status = 200, description = "The task, cancelled", body = Task)))]
pub(crate) async fn cancel(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiPath(id): ApiPath<TaskIdPath>,
) -> ApiResult<Json<Task>> {
    Ok(Json(state.stores.tasks.cancel(&tenant, id).await?))
}

/// One task.
#[utoipa::path(get, path = "/tenants/{tenant}/tasks/{id}", tag = "tasks",
    params(TenantPath, TaskIdPath),
    responses((status = 200, description = "The task", body = Task)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiPath(id): ApiPath<TaskIdPath>,
) -> ApiResult<Json<Task>> {
    match state.stores.tasks.get_task(&tenant, id).await? {
        Some(task) => Ok(Json(task)),
        None => Err(ApiError::not_found(format!("task {id} in tenant `{tenant}` was not found"))),
    }
}

/// Tasks, newest first.
#[utoipa::path(get, path = "/tenants/{tenant}/tasks", tag = "tasks",
    params(TenantPath, ListTasksParams),
    responses((status = 200, description = "Newest first", body = TaskList)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
    ApiQuery(params): ApiQuery<ListTasksParams>,
) -> ApiResult<Json<TaskList>> {
    let request = ListTasks {
        tenant,
        statuses: comma_list("statuses", params.statuses.as_deref())?,
        kinds: comma_strings(params.kinds.as_deref()),
        session_id: params.session_id,
        limit: storage_core::page_limit(params.limit, 50)?,
        offset: params.offset.unwrap_or(0),
    };
    let tasks = state.stores.tasks.list_tasks(&request).await?;
    Ok(Json(TaskList::new(tasks)))
}

/// Task counts per status, every status present.
#[utoipa::path(get, path = "/tenants/{tenant}/tasks/stats", tag = "tasks",
    params(TenantPath),
    responses((status = 200, description = "Counts per status", body = TaskStats)))]
pub(crate) async fn stats(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<TenantPath>,
) -> ApiResult<Json<TaskStats>> {
    Ok(Json(TaskStats::new(state.stores.tasks.task_stats(&tenant).await?)))
}
