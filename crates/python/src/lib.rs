//! `brainstore._native`: the Rust half of the `brainstore` Python package (PyO3, abi3).
//!
//! It opens a store in-process (the embedded backend, or PostgreSQL) and exposes each protocol as one class:
//! [`documents::NativeDocuments`], [`memories::NativeMemories`], [`sessions::NativeSessions`],
//! [`tasks::NativeTasks`]. Every method takes plain Python values, builds core's request types (so core's
//! validation and errors apply unchanged), runs the call with the GIL released, and returns plain Python
//! values made from the result's serde form. Each method returns the value, or with `aio=True` an asyncio
//! awaitable of it, which `brainstore.aio` uses. The typed Python API, its stubs and the LangChain and
//! LlamaIndex integrations are in `python/brainstore/`; this crate is not used from Rust. A collection may
//! embed its texts with a provider from crates/embed ([`embedding`]); the in-process local model is the
//! default cargo feature `local` (it adds candle to the build).

mod call;
mod convert;
mod documents;
mod embedding;
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
    // crates/embed's HTTP client leaves the choice of rustls crypto provider to the program (to keep aws-lc's
    // C build out); this one uses ring's. An `Err` means one is installed already, which serves as well.
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
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
