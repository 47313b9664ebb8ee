//! Opening a store: the embedded one in a folder, or PostgreSQL by URL; both give the same four protocols.

use std::path::PathBuf;

use pyo3::prelude::*;
use storage_chroma_shim::{EmbeddedConfig, EmbeddedStore};
use storage_core::{DocumentStore, StorageError, Stores};
use storage_postgres::{PostgresConfig, PostgresStore};

use crate::call::run;
use crate::documents::NativeDocuments;
use crate::memories::NativeMemories;
use crate::sessions::NativeSessions;
use crate::tasks::NativeTasks;

/// An open store: the four protocols of one backend object.
#[pyclass(frozen, module = "brainstore._native")]
pub(crate) struct NativeStore {
    stores: Stores,
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
        NativeDocuments::new(self.stores.documents.clone())
    }

    /// Agent memory.
    fn memories(&self) -> NativeMemories {
        NativeMemories::new(self.stores.memories.clone())
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

fn into_store(py: Python<'_>, stores: Stores) -> PyResult<Py<PyAny>> {
    Ok(Py::new(py, NativeStore { stores })?.into_any())
}

/// Opens (creating if needed) the embedded store in the folder `path`.
#[pyfunction]
#[pyo3(signature = (path, *, aio = false))]
pub(crate) fn open_embedded(py: Python<'_>, path: PathBuf, aio: bool) -> PyResult<Py<PyAny>> {
    let open = async move {
        let store = EmbeddedStore::open(EmbeddedConfig::new(path)).map_err(StorageError::from)?;
        store.initialize().await?;
        Ok(Stores::new(store))
    };
    run(py, aio, open, into_store)
}

/// Connects to PostgreSQL (pgvector required) and creates or migrates brainstore's tables in `schema`.
#[pyfunction]
#[pyo3(signature = (database_url, *, schema = None, pool_size = None, aio = false))]
pub(crate) fn connect_postgres(
    py: Python<'_>,
    database_url: &str,
    schema: Option<String>,
    pool_size: Option<u32>,
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
    run(py, aio, connect, into_store)
}
