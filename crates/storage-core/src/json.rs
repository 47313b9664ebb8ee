//! Typed values out of JSON, each error naming the path of the offending field (`chunks[2].embedding[3]`,
//! `metadata.tags[0]`), so a bad body or line says where it is bad (`serde_path_to_error` tracks the path).

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::StorageError;

/// `T` from a JSON value; a value of the wrong shape is [`StorageError::InvalidInput`] naming its path.
pub fn from_json_value<T: DeserializeOwned>(value: Value) -> crate::Result<T> {
    serde_path_to_error::deserialize(value).map_err(path_error)
}

/// The error of a value at a path. serde_json's ` at line 1 column N` is dropped (the caller knows the
/// line), and core's own errors from inside a value (`[3]: NaN is not a finite number`) are joined to the
/// path (`embedding[3]: …`).
pub(crate) fn path_error(error: serde_path_to_error::Error<serde_json::Error>) -> StorageError {
    let path = error.path().to_string();
    let path = if path == "." { String::new() } else { path };
    let inner = error.into_inner();
    let text = inner.to_string();
    let position = format!(" at line {} column {}", inner.line(), inner.column());
    let message = text.strip_suffix(&position).unwrap_or(&text);
    if let Some((relative, reason)) = message.split_once(": ")
        && relative.starts_with(['[', '.'])
    {
        return StorageError::invalid(format!("{path}{relative}"), reason);
    }
    // serde names a missing or unknown field in its message, at the path of the object that holds it.
    for (prefix, what) in [("missing field `", "missing"), ("unknown field `", "unknown field")] {
        if let Some((field, rest)) = message.strip_prefix(prefix).and_then(|rest| rest.split_once('`')) {
            // The path of an unknown field already ends with it; that of a missing one is its parent's.
            let field = if path.is_empty() || path == field || path.ends_with(&format!(".{field}")) {
                if path.is_empty() { field.to_owned() } else { path.clone() }
            } else {
                format!("{path}.{field}")
            };
            return StorageError::invalid(field, format!("{what}{rest}"));
        }
    }
    StorageError::invalid(path, message)
}
