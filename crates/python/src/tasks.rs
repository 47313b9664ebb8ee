//! `NativeTasks`: the shared task queue (`TaskQueue`); tasks cross as their serde form.

use std::sync::Arc;

use pyo3::prelude::*;
use storage_core::StorageError;
use storage_core::task::{ClaimRequest, ListTasks, NewTask, TaskQueue, TaskStatus};

use crate::call::run_serialized;
use crate::convert::{from_python, parse_all, uuid};
use crate::errors::to_py_err;

/// The task queue of an open store.
#[pyclass(frozen, module = "brainstore._native")]
pub(crate) struct NativeTasks {
    store: Arc<dyn TaskQueue>,
}

impl NativeTasks {
    pub(crate) fn new(store: Arc<dyn TaskQueue>) -> Self {
        NativeTasks { store }
    }
}

fn ids(py: Python<'_>, id: &str, lease_id: &str) -> PyResult<(uuid::Uuid, uuid::Uuid)> {
    (|| Ok::<_, StorageError>((uuid(id, "id")?, uuid(lease_id, "lease_id")?)))().map_err(|error| to_py_err(py, &error))
}

#[pymethods]
impl NativeTasks {
    /// Enqueues a task (a dict of `NewTask`'s fields); returns `{"task", "created"}`.
    #[pyo3(signature = (task, *, aio = false))]
    fn enqueue(&self, py: Python<'_>, task: Bound<'_, PyAny>, aio: bool) -> PyResult<Py<PyAny>> {
        let task: NewTask = from_python(&task, "task").map_err(|error| to_py_err(py, &error))?;
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.enqueue(task).await })
    }

    /// Takes the best eligible task with a lease, or returns `None`; no two claimers get the same task.
    #[pyo3(signature = (tenant, agent, *, kinds = None, lease_ms = 60_000, aio = false))]
    fn claim(
        &self,
        py: Python<'_>,
        tenant: String,
        agent: String,
        kinds: Option<Vec<String>>,
        lease_ms: u64,
        aio: bool,
    ) -> PyResult<Py<PyAny>> {
        let request = ClaimRequest { tenant, agent, kinds: kinds.unwrap_or_default(), lease_ms };
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.claim(&request).await })
    }

    /// Extends a lease.
    #[pyo3(signature = (tenant, id, lease_id, *, lease_ms = 60_000, aio = false))]
    fn heartbeat(
        &self,
        py: Python<'_>,
        tenant: String,
        id: &str,
        lease_id: &str,
        lease_ms: u64,
        aio: bool,
    ) -> PyResult<Py<PyAny>> {
        let (id, lease_id) = ids(py, id, lease_id)?;
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.heartbeat(&tenant, id, lease_id, lease_ms).await })
    }

    /// Completes a claimed task with its result (any JSON value); a lost lease is a `Conflict`.
    #[pyo3(signature = (tenant, id, lease_id, result = None, *, aio = false))]
    fn complete(
        &self,
        py: Python<'_>,
        tenant: String,
        id: &str,
        lease_id: &str,
        result: Option<Bound<'_, PyAny>>,
        aio: bool,
    ) -> PyResult<Py<PyAny>> {
        let (id, lease_id) = ids(py, id, lease_id)?;
        let result: serde_json::Value = match result {
            Some(result) => from_python(&result, "result").map_err(|error| to_py_err(py, &error))?,
            None => serde_json::Value::Null,
        };
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.complete(&tenant, id, lease_id, result).await })
    }

    /// Fails a claimed task: retried with backoff, or dead-lettered after its last attempt.
    #[pyo3(signature = (tenant, id, lease_id, error, *, aio = false))]
    fn fail(
        &self,
        py: Python<'_>,
        tenant: String,
        id: &str,
        lease_id: &str,
        error: String,
        aio: bool,
    ) -> PyResult<Py<PyAny>> {
        let (id, lease_id) = ids(py, id, lease_id)?;
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.fail(&tenant, id, lease_id, &error).await })
    }

    /// Cancels a pending or running task.
    #[pyo3(signature = (tenant, id, *, aio = false))]
    fn cancel(&self, py: Python<'_>, tenant: String, id: &str, aio: bool) -> PyResult<Py<PyAny>> {
        let id = uuid(id, "id").map_err(|error| to_py_err(py, &error))?;
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.cancel(&tenant, id).await })
    }

    /// One task, or `None`.
    #[pyo3(signature = (tenant, id, *, aio = false))]
    fn get(&self, py: Python<'_>, tenant: String, id: &str, aio: bool) -> PyResult<Py<PyAny>> {
        let id = uuid(id, "id").map_err(|error| to_py_err(py, &error))?;
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.get_task(&tenant, id).await })
    }

    /// Tasks, newest first.
    #[pyo3(signature = (tenant, *, statuses = None, kinds = None, session_id = None, limit = 100, offset = 0, aio = false))]
    #[allow(clippy::too_many_arguments)] // keyword-only arguments of one Python method
    fn list(
        &self,
        py: Python<'_>,
        tenant: String,
        statuses: Option<Vec<String>>,
        kinds: Option<Vec<String>>,
        session_id: Option<String>,
        limit: usize,
        offset: usize,
        aio: bool,
    ) -> PyResult<Py<PyAny>> {
        let statuses = parse_all::<TaskStatus>(statuses, "statuses").map_err(|error| to_py_err(py, &error))?;
        let request = ListTasks { tenant, statuses, kinds: kinds.unwrap_or_default(), session_id, limit, offset };
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.list_tasks(&request).await })
    }

    /// How many tasks are in each status.
    #[pyo3(signature = (tenant, *, aio = false))]
    fn stats(&self, py: Python<'_>, tenant: String, aio: bool) -> PyResult<Py<PyAny>> {
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.task_stats(&tenant).await })
    }
}
