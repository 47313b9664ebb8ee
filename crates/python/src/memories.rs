//! `NativeMemories`: agent memory (`MemoryStore`); records cross as their serde form.

use std::sync::Arc;

use embed::ConfiguredResolver;
use pyo3::prelude::*;
use storage_core::StorageError;
use storage_core::memory::scoring::RecallWeights;
use storage_core::memory::{
    ChangeContext, ListMemories, MemoryStatus, MemoryStore, MemoryTier, NewMemory, RecallRequest, RememberOptions,
    Scope,
};

use crate::call::run_serialized;
use crate::convert::{filter, from_python, parse_all, uuid};
use crate::embedding::SpaceRequest;
use crate::errors::to_py_err;

/// The memory store of an open store (wrapped by `resolver`: text without a vector is embedded).
#[pyclass(frozen, module = "brainstore._native")]
pub(crate) struct NativeMemories {
    store: Arc<dyn MemoryStore>,
    resolver: Arc<ConfiguredResolver>,
}

impl NativeMemories {
    pub(crate) fn new(store: Arc<dyn MemoryStore>, resolver: Arc<ConfiguredResolver>) -> Self {
        NativeMemories { store, resolver }
    }
}

fn context(actor: Option<String>, reason: Option<String>) -> ChangeContext {
    ChangeContext { actor: actor.unwrap_or_else(|| "python".to_owned()), reason }
}

#[pymethods]
impl NativeMemories {
    /// Remembers a memory (a dict of `NewMemory`'s fields); returns `{"memory", "action", ...}`.
    #[pyo3(signature = (memory, *, dedup_threshold = Some(storage_core::memory::DEFAULT_DEDUP_THRESHOLD), actor = None, reason = None, aio = false))]
    fn remember(
        &self,
        py: Python<'_>,
        memory: Bound<'_, PyAny>,
        dedup_threshold: Option<f32>,
        actor: Option<String>,
        reason: Option<String>,
        aio: bool,
    ) -> PyResult<Py<PyAny>> {
        let memory: NewMemory = from_python(&memory, "memory").map_err(|error| to_py_err(py, &error))?;
        let options = RememberOptions { dedup_threshold, context: context(actor, reason) };
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.remember(memory, &options).await })
    }

    /// Recalls memories of a scope, ranked by core's scoring function.
    #[pyo3(signature = (scope, *, text = None, embedding = None, kinds = None, tags = None, statuses = None, tiers = None, r#where = None, limit = 10, weights = None, aio = false))]
    #[allow(clippy::too_many_arguments)] // keyword-only arguments of one Python method
    fn recall(
        &self,
        py: Python<'_>,
        scope: Bound<'_, PyAny>,
        text: Option<String>,
        embedding: Option<Vec<f64>>,
        kinds: Option<Vec<String>>,
        tags: Option<Vec<String>>,
        statuses: Option<Vec<String>>,
        tiers: Option<Vec<String>>,
        r#where: Option<Bound<'_, PyAny>>,
        limit: usize,
        weights: Option<Bound<'_, PyAny>>,
        aio: bool,
    ) -> PyResult<Py<PyAny>> {
        let request = (|| -> Result<RecallRequest, StorageError> {
            let mut request = RecallRequest::new(from_python::<Scope>(&scope, "scope")?);
            request.text = text;
            request.embedding =
                embedding.as_deref().map(|values| crate::convert::embedding(values, "embedding")).transpose()?;
            request.kinds = kinds.unwrap_or_default();
            request.tags = tags.unwrap_or_default();
            if statuses.is_some() {
                request.statuses = parse_all::<MemoryStatus>(statuses, "statuses")?;
            }
            request.tiers = parse_all::<MemoryTier>(tiers, "tiers")?;
            request.filter = filter(r#where.as_ref())?;
            request.limit = limit;
            if let Some(weights) = weights.as_ref().filter(|weights| !weights.is_none()) {
                request.weights = from_python::<RecallWeights>(weights, "weights")?;
            }
            Ok(request)
        })()
        .map_err(|error| to_py_err(py, &error))?;
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.recall(&request).await })
    }

    /// One memory by id, or `None` (another tenant's id looks missing).
    #[pyo3(signature = (tenant, id, *, aio = false))]
    fn get(&self, py: Python<'_>, tenant: String, id: &str, aio: bool) -> PyResult<Py<PyAny>> {
        let id = uuid(id, "id").map_err(|error| to_py_err(py, &error))?;
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.get_memory(&tenant, id).await })
    }

    /// Memories of a scope, newest first.
    #[pyo3(signature = (scope, *, kinds = None, statuses = None, limit = 100, offset = 0, aio = false))]
    #[allow(clippy::too_many_arguments)] // keyword-only arguments of one Python method
    fn list(
        &self,
        py: Python<'_>,
        scope: Bound<'_, PyAny>,
        kinds: Option<Vec<String>>,
        statuses: Option<Vec<String>>,
        limit: usize,
        offset: usize,
        aio: bool,
    ) -> PyResult<Py<PyAny>> {
        let request = (|| -> Result<ListMemories, StorageError> {
            let mut request = ListMemories::new(from_python::<Scope>(&scope, "scope")?, limit);
            request.kinds = kinds.unwrap_or_default();
            request.statuses = parse_all::<MemoryStatus>(statuses, "statuses")?;
            request.offset = offset;
            Ok(request)
        })()
        .map_err(|error| to_py_err(py, &error))?;
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.list_memories(&request).await })
    }

    /// Replaces a memory with a new one; returns `[old, new]`.
    #[pyo3(signature = (tenant, old_id, replacement, *, actor = None, reason = None, aio = false))]
    #[allow(clippy::too_many_arguments)] // keyword-only arguments of one Python method
    fn supersede(
        &self,
        py: Python<'_>,
        tenant: String,
        old_id: &str,
        replacement: Bound<'_, PyAny>,
        actor: Option<String>,
        reason: Option<String>,
        aio: bool,
    ) -> PyResult<Py<PyAny>> {
        let (old_id, replacement) = (|| -> Result<(uuid::Uuid, NewMemory), StorageError> {
            Ok((uuid(old_id, "old_id")?, from_python(&replacement, "replacement")?))
        })()
        .map_err(|error| to_py_err(py, &error))?;
        let context = context(actor, reason);
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.supersede(&tenant, old_id, replacement, &context).await })
    }

    /// Hard-deletes a memory (its audit history stays); returns whether it existed.
    #[pyo3(signature = (tenant, id, *, actor = None, reason = None, aio = false))]
    fn forget(
        &self,
        py: Python<'_>,
        tenant: String,
        id: &str,
        actor: Option<String>,
        reason: Option<String>,
        aio: bool,
    ) -> PyResult<Py<PyAny>> {
        let id = uuid(id, "id").map_err(|error| to_py_err(py, &error))?;
        let context = context(actor, reason);
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.forget(&tenant, id, &context).await })
    }

    /// The memory's audit log, oldest first.
    #[pyo3(signature = (tenant, id, *, aio = false))]
    fn history(&self, py: Python<'_>, tenant: String, id: &str, aio: bool) -> PyResult<Py<PyAny>> {
        let id = uuid(id, "id").map_err(|error| to_py_err(py, &error))?;
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.history(&tenant, id).await })
    }

    /// Records the memory embedding space (the dimensions every memory embedding must have), given by its
    /// parts or by an `embedding` provider (connected first; its model and dimensions are recorded, and
    /// memories and recalls with text alone are embedded by it).
    #[pyo3(signature = (dimensions = None, *, metric = None, provider = None, model = None, embedding = None, aio = false))]
    #[allow(clippy::too_many_arguments)] // keyword-only arguments of one Python method
    fn set_space(
        &self,
        py: Python<'_>,
        dimensions: Option<u32>,
        metric: Option<&str>,
        provider: Option<String>,
        model: Option<String>,
        embedding: Option<Bound<'_, PyAny>>,
        aio: bool,
    ) -> PyResult<Py<PyAny>> {
        let request = SpaceRequest::parse(dimensions, metric, provider, model, embedding.as_ref())
            .map_err(|error| to_py_err(py, &error))?;
        let store = self.store.clone();
        let resolver = self.resolver.clone();
        run_serialized(py, aio, async move {
            let space = request
                .resolve(&resolver)
                .await?
                .ok_or_else(|| StorageError::invalid("dimensions", "give dimensions or an embedding provider"))?;
            store.set_memory_embedding_space(&space).await
        })
    }
}
