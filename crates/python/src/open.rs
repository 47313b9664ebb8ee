//! Opening a store: the embedded one in a folder, or PostgreSQL by URL; both give the same four protocols.

use std::path::PathBuf;
use std::sync::Arc;

use embed::ConfiguredResolver;
use pyo3::prelude::*;
use storage_chroma_shim::{EmbeddedConfig, EmbeddedStore};
use storage_core::{DocumentStore, StorageError, Stores};
use storage_postgres::{PostgresConfig, PostgresStore};

use crate::call::run;
use crate::documents::NativeDocuments;
use crate::embedding::store_resolver;
use crate::memories::NativeMemories;
use crate::sessions::NativeSessions;
use crate::tasks::NativeTasks;

/// An open store: the four protocols of one backend object.
#[pyclass(frozen, module = "brainstore._native")]
pub(crate) struct NativeStore {
    /// The backend's stores wrapped by `resolver` (core's rule for text without a vector).
    stores: Stores,
    /// Also kept here: a collection or memory space created with a provider connects it through the
    /// resolver, which then embeds with it.
    resolver: Arc<ConfiguredResolver>,
}

#[pymethods]
impl NativeStore {
    /// `embedded` or `postgres`.
    #[getter]
    fn backend(&self) -> &'static str {
        self.stores.documents.backend()
    }

    /// Chunks in collections.
    fn documents(&self) -> NativeDocuments {
        NativeDocuments::new(self.stores.documents.clone(), self.resolver.clone())
    }

    /// Agent memory.
    fn memories(&self) -> NativeMemories {
        NativeMemories::new(self.stores.memories.clone(), self.resolver.clone())
    }

    /// Sessions, messages, artifacts and agents.
    fn sessions(&self) -> NativeSessions {
        NativeSessions::new(self.stores.sessions.clone())
    }

    /// The task queue.
    fn tasks(&self) -> NativeTasks {
        NativeTasks::new(self.stores.tasks.clone())
    }

    /// Releases connections and files; the store is unusable afterwards.
    #[pyo3(signature = (*, aio = false))]
    fn close(&self, py: Python<'_>, aio: bool) -> PyResult<Py<PyAny>> {
        let documents = self.stores.documents.clone();
        run(py, aio, async move { documents.close().await }, |py, ()| Ok(py.None()))
    }
}

/// Opens with `open`, then wraps the stores with the resolver of `embedding` (checked first, with the GIL).
fn open_with<F>(py: Python<'_>, aio: bool, embedding: Option<&Bound<'_, PyAny>>, open: F) -> PyResult<Py<PyAny>>
where
    F: Future<Output = Result<Stores, StorageError>> + Send + 'static,
{
    let resolver = store_resolver(embedding).map_err(|error| crate::errors::to_py_err(py, &error))?;
    let opened = async move {
        let stores = open.await?.with_resolver(resolver.clone());
        Ok(NativeStore { stores, resolver })
    };
    run(py, aio, opened, |py, store| Ok(Py::new(py, store)?.into_any()))
}

/// Opens (creating if needed) the embedded store in the folder `path`; `embedding` configures the provider
/// recorded spaces resolve with (see [`store_resolver`]).
#[pyfunction]
#[pyo3(signature = (path, *, embedding = None, aio = false))]
pub(crate) fn open_embedded(
    py: Python<'_>,
    path: PathBuf,
    embedding: Option<Bound<'_, PyAny>>,
    aio: bool,
) -> PyResult<Py<PyAny>> {
    let open = async move {
        let store = EmbeddedStore::open(EmbeddedConfig::new(path)).map_err(StorageError::from)?;
        store.initialize().await?;
        Ok(Stores::new(store))
    };
    open_with(py, aio, embedding.as_ref(), open)
}

/// Connects to PostgreSQL (pgvector required) and creates or migrates brainstore's tables in `schema`.
#[pyfunction]
#[pyo3(signature = (database_url, *, schema = None, pool_size = None, embedding = None, aio = false))]
pub(crate) fn connect_postgres(
    py: Python<'_>,
    database_url: &str,
    schema: Option<String>,
    pool_size: Option<u32>,
    embedding: Option<Bound<'_, PyAny>>,
    aio: bool,
) -> PyResult<Py<PyAny>> {
    let mut config = PostgresConfig::from_database_url(database_url)
        .map_err(|error| crate::errors::to_py_err(py, &StorageError::from(error)))?;
    if let Some(schema) = schema {
        config.schema = schema;
    }
    if let Some(pool_size) = pool_size {
        config.pool_size = pool_size;
    }
    let connect = async move {
        let store = PostgresStore::connect(config.validated()?).await?;
        store.initialize().await?;
        Ok(Stores::new(store))
    };
    open_with(py, aio, embedding.as_ref(), connect)
}
