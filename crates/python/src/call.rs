//! Running a store call from Python: blocking with the GIL released, or as an asyncio awaitable.

use std::future::Future;

use pyo3::prelude::*;
use serde::Serialize;
use storage_core::StorageError;

use crate::errors::to_py_err;

/// Runs `call` and turns its result into a Python object with `convert`.
///
/// Without `aio`, the calling thread blocks on the shared tokio runtime with the GIL released, so other
/// Python threads run meanwhile. With `aio`, the call is spawned on that runtime and an asyncio future of
/// the converted result is returned at once; cancelling the future drops the call (a cancelled write
/// leaves no partial batch, as every batch is one transaction).
pub(crate) fn run<T, F, C>(py: Python<'_>, aio: bool, call: F, convert: C) -> PyResult<Py<PyAny>>
where
    T: Send + 'static,
    F: Future<Output = Result<T, StorageError>> + Send + 'static,
    C: for<'py> FnOnce(Python<'py>, T) -> PyResult<Py<PyAny>> + Send + 'static,
{
    if aio {
        let awaitable = pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let value = call.await;
            Python::attach(|py| convert(py, value.map_err(|error| to_py_err(py, &error))?))
        })?;
        return Ok(awaitable.unbind());
    }
    let runtime = pyo3_async_runtimes::tokio::get_runtime();
    let value = py.detach(|| runtime.block_on(call)).map_err(|error| to_py_err(py, &error))?;
    convert(py, value)
}

/// [`run`] for a result whose serde form is what Python gets (dicts, lists, strings, numbers).
pub(crate) fn run_serialized<T, F>(py: Python<'_>, aio: bool, call: F) -> PyResult<Py<PyAny>>
where
    T: Serialize + Send + 'static,
    F: Future<Output = Result<T, StorageError>> + Send + 'static,
{
    run(py, aio, call, |py, value| crate::convert::to_python(py, &value))
}
