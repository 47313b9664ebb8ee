//! Python values to core's validated types and back, through serde: a value's Python form is its JSON form.

use pyo3::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use storage_core::{DocumentFilter, Embedding, Filter, Metadata, StorageError};

/// A Python object made from a value's serde form (dicts, lists, strings, numbers, `None`).
pub(crate) fn to_python<T: Serialize>(py: Python<'_>, value: &T) -> PyResult<Py<PyAny>> {
    Ok(pythonize::pythonize(py, value)?.unbind())
}

/// A value of `T` from a Python object's JSON-like form; a mismatch is `InvalidInput` naming `field`.
pub(crate) fn from_python<T: DeserializeOwned>(object: &Bound<'_, PyAny>, field: &str) -> Result<T, StorageError> {
    pythonize::depythonize(object).map_err(|error| StorageError::invalid(field, error.to_string()))
}

/// A JSON value from a Python object, or `None` for Python's `None`.
fn json(object: Option<&Bound<'_, PyAny>>, field: &str) -> Result<Option<Value>, StorageError> {
    match object {
        Some(object) if !object.is_none() => from_python::<Value>(object, field).map(Some),
        _ => Ok(None),
    }
}

/// Metadata from a dict (`None` stays `None`); errors name `field` (`metadatas[3].tags`).
pub(crate) fn metadata(object: Option<&Bound<'_, PyAny>>, field: &str) -> Result<Option<Metadata>, StorageError> {
    json(object, field)?.map(|value| Metadata::from_value(value).map_err(|error| error.within(field))).transpose()
}

/// A `where` filter from a dict; an empty dict is the empty filter (which matches everything).
pub(crate) fn filter(object: Option<&Bound<'_, PyAny>>) -> Result<Option<Filter>, StorageError> {
    json(object, "where")?.map(|value| Filter::from_json(&value).map_err(|error| error.within("where"))).transpose()
}

/// A `where_document` filter from a dict.
pub(crate) fn document_filter(object: Option<&Bound<'_, PyAny>>) -> Result<Option<DocumentFilter>, StorageError> {
    json(object, "where_document")?
        .map(|value| DocumentFilter::from_json(&value).map_err(|error| error.within("where_document")))
        .transpose()
}

/// An embedding from Python floats (f64), refusing values that do not fit in an `f32`; errors name `field`.
pub(crate) fn embedding(values: &[f64], field: &str) -> Result<Embedding, StorageError> {
    Embedding::from_f64(values).map_err(|error| error.within(field))
}

/// A new chunk id (UUIDv7), as the store generates them for chunks upserted without one.
#[pyfunction]
pub(crate) fn generate_id() -> String {
    storage_core::generate_chunk_id()
}

/// Parses each name with the type's `FromStr` (core's spellings); an error names `field[i]`.
pub(crate) fn parse_all<T: std::str::FromStr<Err = StorageError>>(
    names: Option<Vec<String>>,
    field: &str,
) -> Result<Vec<T>, StorageError> {
    names
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(idx, name)| {
            name.parse::<T>().map_err(|error| StorageError::invalid(format!("{field}[{idx}]"), error.to_string()))
        })
        .collect()
}

/// A UUID from its text; an error names `field`.
pub(crate) fn uuid(text: &str, field: &str) -> Result<uuid::Uuid, StorageError> {
    uuid::Uuid::parse_str(text).map_err(|error| StorageError::invalid(field, error.to_string()))
}

/// An embedding space from its parts (`metric` by name: `cosine`, `l2`, `inner_product`), validated by core.
pub(crate) fn embedding_space(
    dimensions: u32,
    metric: Option<&str>,
    provider: Option<String>,
    model: Option<String>,
) -> Result<storage_core::EmbeddingSpace, StorageError> {
    let mut space = storage_core::EmbeddingSpace::new(dimensions)?;
    if let Some(metric) = metric {
        space = space.with_metric(metric.parse()?);
    }
    space.provider = provider;
    space.model = model;
    space.validate()?;
    Ok(space)
}
