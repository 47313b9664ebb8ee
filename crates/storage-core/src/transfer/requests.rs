//! The line formats that carry requests rather than chunks: a search query line (`search --queries`) and
//! an `{"id","text"}` line to embed (`embed --file`). Each names its line's bad field like a chunk line does.

use serde_json::{Map, Value};

use super::{LineError, parse_object};
use crate::error::StorageError;
use crate::{DocumentFilter, Embedding, Filter, KeywordMatch, SearchDefaults, SearchInput, SearchMode, SearchRequest};
use crate::{check_text, from_json_value, json_type_name};

/// The fields a query line may hold.
pub const QUERY_FIELDS: &[&str] =
    &["id", "text", "match", "embedding", "where", "where_document", "top_k", "mode", "min_score"];

/// A query line, `{"id", "text"?, "embedding"?, "where"?, …}` ([`QUERY_FIELDS`]), as its id and the request
/// it makes over `defaults`; `explain` applies to every line alike.
pub fn query_line(text: &str, defaults: &SearchDefaults, explain: bool) -> Result<(String, SearchRequest), LineError> {
    let mut object = parse_object(text)?;
    refuse_unknown(&object, QUERY_FIELDS, &format!("a query line holds {}", QUERY_FIELDS.join(", ")))?;
    let id = match line_id(&mut object, "every query needs an id")? {
        Value::String(id) => id,
        number => number.to_string(),
    };
    let query_text = string(object.remove("text"), "text")?;
    let line_mode = string(object.remove("mode"), "mode")?.map(|m| m.parse::<SearchMode>()).transpose()?;
    let keyword_match = string(object.remove("match"), "match")?.map(|m| m.parse::<KeywordMatch>()).transpose()?;
    let embedding = object
        .remove("embedding")
        .filter(|v| !v.is_null())
        .map(|v| from_json_value::<Embedding>(v).map_err(|e| e.within("embedding")));
    let filter = object.remove("where").filter(|v| !v.is_null()).map(|v| Filter::from_json(&v));
    let document_filter =
        object.remove("where_document").filter(|v| !v.is_null()).map(|v| DocumentFilter::from_json(&v));
    let top_k = object.remove("top_k").filter(|v| !v.is_null()).map(|value| {
        value
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| StorageError::invalid("top_k", "must be a positive integer"))
    });
    let min_score = object.remove("min_score").filter(|v| !v.is_null()).map(|value| {
        #[allow(clippy::cast_possible_truncation)] // a score in [0, 1]; the request's checks hold the range
        value.as_f64().map(|score| score as f32).ok_or_else(|| StorageError::invalid("min_score", "must be a number"))
    });
    let input = SearchInput {
        mode: line_mode,
        text: query_text,
        keyword_match,
        embedding: embedding.transpose()?,
        top_k: top_k.transpose()?,
        min_score: min_score.transpose()?,
        filter: filter.transpose()?,
        document_filter: document_filter.transpose()?,
        fusion: None,
        explain,
    };
    Ok((id, defaults.request(input)?))
}

/// An `{"id","text"}` line to embed: the id a string or a number, the text a string; nothing else.
pub fn text_line(text: &str) -> Result<(Value, String), LineError> {
    let mut object = parse_object(text)?;
    refuse_unknown(&object, &["id", "text"], "a line holds id and text")?;
    let id = line_id(&mut object, "every line needs an id")?;
    match object.remove("text") {
        Some(Value::String(text)) => {
            check_text(&text, "text")?;
            Ok((id, text))
        }
        None | Some(Value::Null) => Err(StorageError::invalid("text", "missing: every line needs a text").into()),
        Some(other) => Err(must_be_string("text", &other).into()),
    }
}

/// The first field not in `known`, refused with what a line may hold (`holds`).
fn refuse_unknown(object: &Map<String, Value>, known: &[&str], holds: &str) -> Result<(), StorageError> {
    match object.keys().find(|key| !known.contains(&key.as_str())) {
        Some(unknown) => Err(StorageError::invalid(unknown.as_str(), format!("unknown field; {holds}"))),
        None => Ok(()),
    }
}

/// A line's `id`: a string or a number, kept as given.
fn line_id(object: &mut Map<String, Value>, missing: &str) -> Result<Value, StorageError> {
    match object.remove("id") {
        Some(id @ (Value::String(_) | Value::Number(_))) => Ok(id),
        None | Some(Value::Null) => Err(StorageError::invalid("id", format!("missing: {missing}"))),
        Some(other) => {
            Err(StorageError::invalid("id", format!("must be a string or a number, got {}", json_type_name(&other))))
        }
    }
}

/// An optional string field.
fn string(value: Option<Value>, field: &str) -> Result<Option<String>, StorageError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(must_be_string(field, &other)),
    }
}

fn must_be_string(field: &str, value: &Value) -> StorageError {
    StorageError::invalid(field, format!("must be a string, got {}", json_type_name(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_lines_name_the_bad_field() {
        let (id, text) = text_line(r#"{"id": 7, "text": "hello"}"#).unwrap();
        assert_eq!((id, text.as_str()), (Value::from(7), "hello"));
        let err = |line: &str| text_line(line).unwrap_err().to_string();
        assert!(err(r#"{"text": "x"}"#).starts_with("id: missing"));
        assert!(err(r#"{"id": "a"}"#).starts_with("text: missing"));
        assert!(err(r#"{"id": "a", "text": 3}"#).starts_with("text: must be a string, got a number"));
        assert!(err(r#"{"id": [1], "text": "x"}"#).starts_with("id: must be a string or a number"));
        assert!(err(r#"{"id": "a", "text": "x", "vec": 1}"#).starts_with("vec: unknown field"));
    }
}
