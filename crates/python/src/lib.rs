//! `brainstore._native`: the Rust half of the `brainstore` Python package (PyO3, abi3).
//!
//! It opens a store in-process (the embedded backend, or PostgreSQL) and exposes each protocol as one class:
//! [`documents::NativeDocuments`], [`memories::NativeMemories`], [`sessions::NativeSessions`],
//! [`tasks::NativeTasks`]. Every method takes plain Python values, builds core's request types (so core's
//! validation and errors apply unchanged), runs the call with the GIL released, and returns plain Python
//! values made from the result's serde form. Each method returns the value, or with `aio=True` an asyncio
//! awaitable of it, which `brainstore.aio` uses. The typed Python API, its stubs and the LangChain and
//! LlamaIndex integrations are in `python/brainstore/`; this crate is not used from Rust.

mod call;
mod convert;
mod documents;
mod errors;
mod memories;
mod open;
mod sessions;
mod tasks;

use pyo3::prelude::*;

/// The module `brainstore._native`.
#[pymodule]
#[pyo3(name = "_native")]
fn native_module(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<open::NativeStore>()?;
    module.add_class::<documents::NativeDocuments>()?;
    module.add_class::<memories::NativeMemories>()?;
    module.add_class::<sessions::NativeSessions>()?;
    module.add_class::<tasks::NativeTasks>()?;
    module.add_function(wrap_pyfunction!(open::open_embedded, module)?)?;
    module.add_function(wrap_pyfunction!(open::connect_postgres, module)?)?;
    module.add_function(wrap_pyfunction!(convert::generate_id, module)?)?;
    Ok(())
}
