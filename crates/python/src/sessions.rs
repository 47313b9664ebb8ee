//! `NativeSessions`: conversations, their messages and artifacts, and the agent registry (`SessionStore`).

use std::sync::Arc;

use pyo3::prelude::*;
use storage_core::session::{
    AgentStatus, ListMessages, ListSessions, NewAgent, NewArtifact, NewMessage, NewSession, SessionStatus,
    SessionStore, TextSearch,
};

use crate::call::run_serialized;
use crate::convert::{from_python, parse_all};
use crate::errors::to_py_err;

/// The session store of an open store.
#[pyclass(frozen, module = "brainstore._native")]
pub(crate) struct NativeSessions {
    store: Arc<dyn SessionStore>,
}

impl NativeSessions {
    pub(crate) fn new(store: Arc<dyn SessionStore>) -> Self {
        NativeSessions { store }
    }
}

#[pymethods]
impl NativeSessions {
    /// Creates a session (a dict of `NewSession`'s fields), idempotent by id.
    #[pyo3(signature = (session, *, aio = false))]
    fn create(&self, py: Python<'_>, session: Bound<'_, PyAny>, aio: bool) -> PyResult<Py<PyAny>> {
        let session: NewSession = from_python(&session, "session").map_err(|error| to_py_err(py, &error))?;
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.create_session(session).await })
    }

    /// One session, or `None`.
    #[pyo3(signature = (tenant, id, *, aio = false))]
    fn get(&self, py: Python<'_>, tenant: String, id: String, aio: bool) -> PyResult<Py<PyAny>> {
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.get_session(&tenant, &id).await })
    }

    /// Sets a session's status (`active`, `completed`, ...).
    #[pyo3(signature = (tenant, id, status, *, aio = false))]
    fn set_status(&self, py: Python<'_>, tenant: String, id: String, status: &str, aio: bool) -> PyResult<Py<PyAny>> {
        let status: SessionStatus = status.parse().map_err(|error| to_py_err(py, &error))?;
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.set_session_status(&tenant, &id, status).await })
    }

    /// Sessions, most recent activity first.
    #[pyo3(signature = (tenant, *, statuses = None, limit = 100, offset = 0, aio = false))]
    fn list(
        &self,
        py: Python<'_>,
        tenant: String,
        statuses: Option<Vec<String>>,
        limit: usize,
        offset: usize,
        aio: bool,
    ) -> PyResult<Py<PyAny>> {
        let statuses = parse_all::<SessionStatus>(statuses, "statuses").map_err(|error| to_py_err(py, &error))?;
        let request = ListSessions { tenant, statuses, limit, offset };
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.list_sessions(&request).await })
    }

    /// Appends a message (a dict of `NewMessage`'s fields), idempotent by its id.
    #[pyo3(signature = (tenant, session_id, message, *, aio = false))]
    fn append_message(
        &self,
        py: Python<'_>,
        tenant: String,
        session_id: String,
        message: Bound<'_, PyAny>,
        aio: bool,
    ) -> PyResult<Py<PyAny>> {
        let message: NewMessage = from_python(&message, "message").map_err(|error| to_py_err(py, &error))?;
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.append_message(&tenant, &session_id, message).await })
    }

    /// Messages in append order, after `after_seq`.
    #[pyo3(signature = (tenant, session_id, *, after_seq = None, limit = 100, aio = false))]
    fn list_messages(
        &self,
        py: Python<'_>,
        tenant: String,
        session_id: String,
        after_seq: Option<i64>,
        limit: usize,
        aio: bool,
    ) -> PyResult<Py<PyAny>> {
        let request = ListMessages { tenant, session_id, after_seq, limit };
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.list_messages(&request).await })
    }

    /// Full-text search over the messages of one session, or of the whole tenant.
    #[pyo3(signature = (tenant, query, *, session_id = None, limit = 10, aio = false))]
    fn search_messages(
        &self,
        py: Python<'_>,
        tenant: String,
        query: String,
        session_id: Option<String>,
        limit: usize,
        aio: bool,
    ) -> PyResult<Py<PyAny>> {
        let request = TextSearch { tenant, session_id, query, limit };
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.search_messages(&request).await })
    }

    /// Stores an artifact (a dict of `NewArtifact`'s fields), replacing one with the same id.
    #[pyo3(signature = (tenant, session_id, artifact, *, aio = false))]
    fn put_artifact(
        &self,
        py: Python<'_>,
        tenant: String,
        session_id: String,
        artifact: Bound<'_, PyAny>,
        aio: bool,
    ) -> PyResult<Py<PyAny>> {
        let artifact: NewArtifact = from_python(&artifact, "artifact").map_err(|error| to_py_err(py, &error))?;
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.put_artifact(&tenant, &session_id, artifact).await })
    }

    /// Artifacts of a session, newest first.
    #[pyo3(signature = (tenant, session_id, *, aio = false))]
    fn list_artifacts(&self, py: Python<'_>, tenant: String, session_id: String, aio: bool) -> PyResult<Py<PyAny>> {
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.list_artifacts(&tenant, &session_id).await })
    }

    /// Registers or updates an agent (a dict of `NewAgent`'s fields).
    #[pyo3(signature = (tenant, agent, *, aio = false))]
    fn register_agent(
        &self,
        py: Python<'_>,
        tenant: String,
        agent: Bound<'_, PyAny>,
        aio: bool,
    ) -> PyResult<Py<PyAny>> {
        let agent: NewAgent = from_python(&agent, "agent").map_err(|error| to_py_err(py, &error))?;
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.register_agent(&tenant, agent).await })
    }

    /// Records an agent's heartbeat and status.
    #[pyo3(signature = (tenant, name, status = "available", *, aio = false))]
    fn agent_heartbeat(
        &self,
        py: Python<'_>,
        tenant: String,
        name: String,
        status: &str,
        aio: bool,
    ) -> PyResult<Py<PyAny>> {
        let status: AgentStatus = status.parse().map_err(|error| to_py_err(py, &error))?;
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.agent_heartbeat(&tenant, &name, status).await })
    }
}
