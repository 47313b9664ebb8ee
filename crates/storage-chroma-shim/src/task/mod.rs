//! `impl TaskQueue for EmbeddedStore`: a task queue in SQLite that several processes can share. No SQL here.

mod claim;
mod enqueue;
mod lease;
pub(crate) mod rows;

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde_json::Value;
use storage_core::session::check_identifier;
use storage_core::task::{
    ClaimRequest, EnqueueOutcome, ListTasks, NewTask, Task, TaskQueue, TaskStatus, check_lease_ms, check_task_error,
    check_task_result,
};
use uuid::Uuid;

use crate::store::EmbeddedStore;

#[async_trait]
impl TaskQueue for EmbeddedStore {
    async fn enqueue(&self, task: NewTask) -> storage_core::Result<EnqueueOutcome> {
        enqueue::enqueue(self.db().await?, task).await
    }

    async fn claim(&self, request: &ClaimRequest) -> storage_core::Result<Option<Task>> {
        claim::claim(self.db().await?, request).await
    }

    async fn heartbeat(&self, tenant: &str, id: Uuid, lease_id: Uuid, lease_ms: u64) -> storage_core::Result<Task> {
        check_identifier("tenant", tenant)?;
        check_lease_ms(lease_ms)?;
        lease::heartbeat(self.db().await?, tenant, id, lease_id, lease_ms).await
    }

    async fn complete(&self, tenant: &str, id: Uuid, lease_id: Uuid, result: Value) -> storage_core::Result<Task> {
        check_identifier("tenant", tenant)?;
        check_task_result(&result)?;
        lease::complete(self.db().await?, tenant, id, lease_id, result).await
    }

    async fn fail(&self, tenant: &str, id: Uuid, lease_id: Uuid, error: &str) -> storage_core::Result<Task> {
        check_identifier("tenant", tenant)?;
        check_task_error(error)?;
        lease::fail(self.db().await?, tenant, id, lease_id, error).await
    }

    async fn cancel(&self, tenant: &str, id: Uuid) -> storage_core::Result<Task> {
        check_identifier("tenant", tenant)?;
        lease::cancel(self.db().await?, tenant, id).await
    }

    async fn get_task(&self, tenant: &str, id: Uuid) -> storage_core::Result<Option<Task>> {
        check_identifier("tenant", tenant)?;
        enqueue::get_task(self.db().await?, tenant, id).await
    }

    async fn list_tasks(&self, request: &ListTasks) -> storage_core::Result<Vec<Task>> {
        request.validate()?;
        enqueue::list(self.db().await?, request).await
    }

    async fn task_stats(&self, tenant: &str) -> storage_core::Result<BTreeMap<TaskStatus, u64>> {
        check_identifier("tenant", tenant)?;
        enqueue::stats(self.db().await?, tenant).await
    }
}
