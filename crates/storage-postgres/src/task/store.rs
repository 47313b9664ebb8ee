//! `impl TaskQueue for PostgresStore`: validates with core, calls the queue's SQL, maps errors by cause;
//! no SQL here.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde_json::Value;
use storage_core::session::check_identifier;
use storage_core::task::{
    ClaimRequest, EnqueueOutcome, ListTasks, NewTask, Task, TaskQueue, TaskStatus, check_lease_ms, check_task_error,
    check_task_result,
};
use uuid::Uuid;

use super::{claim, lifecycle, read};
use crate::clock;
use crate::store::PostgresStore;

#[async_trait]
impl TaskQueue for PostgresStore {
    async fn enqueue(&self, task: NewTask) -> storage_core::Result<EnqueueOutcome> {
        task.validate()?;
        claim::enqueue(self.connection(), task, clock::now()).await.map_err(self.failure("enqueue"))
    }

    async fn claim(&self, request: &ClaimRequest) -> storage_core::Result<Option<Task>> {
        request.validate()?;
        claim::claim(self.connection(), request, clock::now()).await.map_err(self.failure("claim"))
    }

    async fn heartbeat(&self, tenant: &str, id: Uuid, lease_id: Uuid, lease_ms: u64) -> storage_core::Result<Task> {
        check_identifier("tenant", tenant)?;
        check_lease_ms(lease_ms)?;
        lifecycle::heartbeat(self.connection(), tenant, id, lease_id, lease_ms, clock::now())
            .await
            .map_err(self.failure("heartbeat"))
    }

    async fn complete(&self, tenant: &str, id: Uuid, lease_id: Uuid, result: Value) -> storage_core::Result<Task> {
        check_identifier("tenant", tenant)?;
        check_task_result(&result)?;
        lifecycle::complete(self.connection(), tenant, id, lease_id, result, clock::now())
            .await
            .map_err(self.failure("complete"))
    }

    async fn fail(&self, tenant: &str, id: Uuid, lease_id: Uuid, error: &str) -> storage_core::Result<Task> {
        check_identifier("tenant", tenant)?;
        check_task_error(error)?;
        lifecycle::fail(self.connection(), tenant, id, lease_id, error, clock::now())
            .await
            .map_err(self.failure("fail"))
    }

    async fn cancel(&self, tenant: &str, id: Uuid) -> storage_core::Result<Task> {
        check_identifier("tenant", tenant)?;
        lifecycle::cancel(self.connection(), tenant, id, clock::now()).await.map_err(self.failure("cancel"))
    }

    async fn get_task(&self, tenant: &str, id: Uuid) -> storage_core::Result<Option<Task>> {
        check_identifier("tenant", tenant)?;
        read::get(self.connection(), tenant, id).await.map_err(self.failure("get_task"))
    }

    async fn list_tasks(&self, request: &ListTasks) -> storage_core::Result<Vec<Task>> {
        request.validate()?;
        read::list(self.connection(), request).await.map_err(self.failure("list_tasks"))
    }

    async fn task_stats(&self, tenant: &str) -> storage_core::Result<BTreeMap<TaskStatus, u64>> {
        check_identifier("tenant", tenant)?;
        read::counts_by_status(self.connection(), tenant, None).await.map_err(self.failure("task_stats"))
    }
}
