//! `StorageError` → the exception classes of `brainstore.errors`, with the error's typed fields as attributes.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use storage_core::{StorageError, Uninitialized};

/// The exception class (a name in `brainstore.errors`) and the attributes one error carries.
fn class_and_fields<'py>(py: Python<'py>, error: &StorageError) -> PyResult<(&'static str, Bound<'py, PyDict>)> {
    let fields = PyDict::new(py);
    let class = match error {
        StorageError::InvalidInput { field, reason } => {
            fields.set_item("field", field)?;
            fields.set_item("reason", reason)?;
            "InvalidInput"
        }
        StorageError::DimensionMismatch { collection, stored, given, remedy } => {
            fields.set_item("kind", "dimension_mismatch")?;
            fields.set_item("collection", collection)?;
            fields.set_item("stored", stored)?;
            fields.set_item("given", given)?;
            fields.set_item("remedy", remedy)?;
            "IncompatibleState"
        }
        StorageError::ModelMismatch { collection, stored, given } => {
            fields.set_item("kind", "model_mismatch")?;
            fields.set_item("collection", collection)?;
            fields.set_item("stored", stored)?;
            fields.set_item("given", given)?;
            "IncompatibleState"
        }
        StorageError::NotInitialized { what, detail } => {
            fields.set_item("kind", "not_initialized")?;
            fields.set_item("what", what.to_string())?;
            fields.set_item("detail", detail)?;
            fields.set_item("remedy", python_remedy(what))?;
            "IncompatibleState"
        }
        StorageError::NotFound { what } => {
            fields.set_item("what", what)?;
            "NotFound"
        }
        StorageError::Conflict { reason } => {
            fields.set_item("reason", reason)?;
            "Conflict"
        }
        StorageError::Unavailable { target, attempts, .. } => {
            fields.set_item("target", target)?;
            fields.set_item("attempts", attempts)?;
            "Unavailable"
        }
        StorageError::Busy { resource, waited_ms } => {
            fields.set_item("target", resource)?;
            fields.set_item("waited_ms", waited_ms)?;
            "Unavailable"
        }
        StorageError::Backend { operation, .. } | StorageError::Unsupported { operation, .. } => {
            fields.set_item("operation", operation)?;
            "BrainstoreError"
        }
        _ => "BrainstoreError",
    };
    Ok((class, fields))
}

/// The Python exception for `error`: its message is the error's whole chain (causes included), its
/// attributes the variant's fields.
pub(crate) fn to_py_err(py: Python<'_>, error: &StorageError) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let (class_name, fields) = class_and_fields(py, error)?;
        let class = py.import("brainstore.errors")?.getattr(class_name)?;
        // The classes take the fields as keyword arguments and keep them as attributes.
        let exception = class.call((message_chain(error),), Some(&fields))?;
        Ok(PyErr::from_value(exception))
    };
    build().unwrap_or_else(|failure| failure)
}

fn message_chain(error: &StorageError) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// How a Python caller sets up what `what` names: core's errors describe the condition only, and each
/// surface (the command line, the HTTP API, this package) adds its own way out.
fn python_remedy(what: &Uninitialized) -> Option<String> {
    match what {
        Uninitialized::Store { .. } => Some("brainstore.open() or brainstore.connect() migrates the store".to_owned()),
        Uninitialized::Collection { name } => Some(format!("store.create_collection({name:?}, ...) creates it")),
        Uninitialized::CollectionSpace { name } => {
            Some(format!("store.get_or_create_collection({name:?}, dimensions=N) records its dimensions"))
        }
        Uninitialized::MemorySpace => Some("store.memories.set_space(dimensions=N) records one".to_owned()),
        _ => None,
    }
}
