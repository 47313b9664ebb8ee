//! JSON-lines input: a bounded line reader and the validation of chunk lines with core's checks, errors naming the line and field.

use std::io::{self, BufRead, Read};

use serde_json::{Map, Value};
use storage_core::{Chunk, Embedding, Metadata, StorageError, check_id, check_text, json_type_name};

pub(crate) use crate::error::LineError;

/// The longest line read, so one runaway line cannot exhaust memory: a chunk's text is at most 1 MB and
/// an embedding of 16,000 values is well under 1 MB of JSON.
pub(crate) const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// Reads lines without ever holding more than one (bounded) line, counting lines and bytes.
pub(crate) struct LineReader<R> {
    inner: R,
    buffer: Vec<u8>,
    line_number: u64,
    bytes_read: u64,
}

/// One line read: its 1-based number, and its text or what made it unreadable.
pub(crate) type Line<'a> = (u64, Result<&'a str, LineError>);

impl<R: BufRead> LineReader<R> {
    /// A reader over `inner`.
    pub(crate) fn new(inner: R) -> Self {
        LineReader { inner, buffer: Vec::with_capacity(64 * 1024), line_number: 0, bytes_read: 0 }
    }

    /// Bytes consumed so far (for progress over a file of known size).
    pub(crate) fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// The next non-blank line, or `None` at the end. A line that cannot be read as text is returned as
    /// an error with its number, and reading can go on after it.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        loop {
            self.buffer.clear();
            let limit = u64::try_from(MAX_LINE_BYTES).unwrap_or(u64::MAX) + 1;
            let n_read = (&mut self.inner).take(limit).read_until(b'\n', &mut self.buffer)?;
            if n_read == 0 {
                return Ok(None);
            }
            self.bytes_read += n_read as u64;
            self.line_number += 1;
            if self.buffer.len() > MAX_LINE_BYTES && self.buffer.last() != Some(&b'\n') {
                self.skip_rest_of_line()?;
                return Ok(Some((self.line_number, Err(LineError::TooLong))));
            }
            let Ok(text) = std::str::from_utf8(&self.buffer) else {
                return Ok(Some((self.line_number, Err(LineError::Utf8))));
            };
            if text.trim().is_empty() {
                continue;
            }
            // Re-borrow after the checks so the returned text borrows `self.buffer` only.
            let text = std::str::from_utf8(&self.buffer).map_err(|_| io::Error::other("utf-8 checked above"))?;
            return Ok(Some((self.line_number, Ok(text.trim_end_matches(['\n', '\r'])))));
        }
    }

    fn skip_rest_of_line(&mut self) -> io::Result<()> {
        loop {
            let available = self.inner.fill_buf()?;
            if available.is_empty() {
                return Ok(());
            }
            match available.iter().position(|b| *b == b'\n') {
                Some(idx) => {
                    self.inner.consume(idx + 1);
                    self.bytes_read += idx as u64 + 1;
                    return Ok(());
                }
                None => {
                    let len = available.len();
                    self.inner.consume(len);
                    self.bytes_read += len as u64;
                }
            }
        }
    }
}

/// Parses a line as one JSON object.
pub(crate) fn parse_object(line: &str) -> Result<Map<String, Value>, LineError> {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(LineError::Json(format!("expected an object, got {}", json_type_name(&other)))),
        Err(error) => Err(LineError::Json(json_error_text(&error))),
    }
}

/// serde_json's message with the column but without "line 1", which would contradict the file's line.
pub(crate) fn json_error_text(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    match text.strip_suffix(&position) {
        Some(message) => format!("{message} (column {})", error.column()),
        None => text,
    }
}

/// The fields a chunk line may hold.
pub(crate) const CHUNK_FIELDS: &[&str] = &["id", "text", "metadata", "embedding"];

/// A chunk from a parsed line, checked with core's constructors; `also_allowed` names extra fields that
/// are accepted and ignored (an export's timestamps). A field not in either list is refused, so a typo
/// such as `metdata` never drops data silently.
pub(crate) fn chunk_from_object(mut object: Map<String, Value>, also_allowed: &[&str]) -> Result<Chunk, StorageError> {
    if let Some(unknown) =
        object.keys().find(|key| !CHUNK_FIELDS.contains(&key.as_str()) && !also_allowed.contains(&key.as_str()))
    {
        return Err(StorageError::invalid(
            unknown.as_str(),
            format!("unknown field; a chunk line holds {}", CHUNK_FIELDS.join(", ")),
        ));
    }
    let id = match object.remove("id") {
        None | Some(Value::Null) => return Err(StorageError::invalid("id", "missing: every line needs a string id")),
        Some(Value::String(id)) => id,
        Some(other) => {
            return Err(StorageError::invalid("id", format!("must be a string, got {}", json_type_name(&other))));
        }
    };
    check_id(&id, "id")?;
    let text = match object.remove("text") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text,
        Some(other) => {
            return Err(StorageError::invalid("text", format!("must be a string, got {}", json_type_name(&other))));
        }
    };
    check_text(&text, "text")?;
    let metadata = Metadata::from_value(object.remove("metadata").unwrap_or(Value::Null))?;
    let embedding = match object.remove("embedding") {
        None | Some(Value::Null) => None,
        Some(value) => Some(embedding_from_value(&value, "embedding")?),
    };
    Ok(Chunk { id, text, metadata, embedding })
}

/// An embedding from a JSON array of numbers, through core's check (finite, fits in f32, not empty);
/// errors name `field[i]`.
pub(crate) fn embedding_from_value(value: &Value, field: &str) -> Result<Embedding, StorageError> {
    let Value::Array(items) = value else {
        return Err(StorageError::invalid(
            field,
            format!("must be an array of numbers, got {}", json_type_name(value)),
        ));
    };
    let mut numbers = Vec::with_capacity(items.len());
    for (idx, item) in items.iter().enumerate() {
        match item.as_f64() {
            Some(number) => numbers.push(number),
            None => {
                return Err(StorageError::invalid(
                    format!("{field}[{idx}]"),
                    format!("must be a number, got {}", json_type_name(item)),
                ));
            }
        }
    }
    Embedding::from_f64(&numbers).map_err(|e| e.within(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk_error(line: &str) -> String {
        match parse_object(line) {
            Err(error) => error.to_string(),
            Ok(object) => chunk_from_object(object, &[]).map(|_| String::new()).unwrap_or_else(|e| e.to_string()),
        }
    }

    #[test]
    fn chunk_lines_are_checked_with_field_names() {
        assert_eq!(chunk_error(r#"{"id":"a","text":"t","metadata":{"k":1},"embedding":[1,2]}"#), "");
        assert_eq!(chunk_error(r#"{"text":"t"}"#), "id: missing: every line needs a string id");
        assert_eq!(chunk_error(r#"{"id":7}"#), "id: must be a string, got a number");
        assert_eq!(chunk_error(r#"{"id":"a","metadata":[1]}"#), "metadata: must be a JSON object, got an array");
        assert_eq!(
            chunk_error(r#"{"id":"a","metdata":{}}"#),
            "metdata: unknown field; a chunk line holds id, text, metadata, embedding"
        );
        assert!(chunk_error(r#"{"id":"a","embedding":[1,1e39]}"#).starts_with("embedding[1]: "));
        assert_eq!(chunk_error(r#"{"id":"a","embedding":[1,"x"]}"#), "embedding[1]: must be a number, got a string");
        assert!(chunk_error(r#"{"id":"a","embedding":[1,NaN]}"#).starts_with("not valid JSON: "));
        assert!(chunk_error(r#"{"id":"a""#).starts_with("not valid JSON: "));
        assert_eq!(chunk_error("[1]"), "not valid JSON: expected an object, got an array");
    }

    #[test]
    fn reader_numbers_lines_and_skips_blank_ones() {
        let input = b"{\"a\":1}\n\n  \n{\"b\":2}\r\n\xff\n{\"c\":3}";
        let mut reader = LineReader::new(&input[..]);
        let mut seen = Vec::new();
        while let Some((number, text)) = reader.next_line().unwrap() {
            seen.push((number, text.map(str::to_owned).map_err(|e| e.to_string())));
        }
        assert_eq!(
            seen,
            vec![
                (1, Ok("{\"a\":1}".to_owned())),
                (4, Ok("{\"b\":2}".to_owned())),
                (5, Err("not valid UTF-8".to_owned())),
                (6, Ok("{\"c\":3}".to_owned())),
            ]
        );
        assert_eq!(reader.bytes_read(), input.len() as u64);
    }
}
