//! JSON-lines input: a bounded line reader, and chunk lines read through serde (`Chunk` refuses unknown fields), errors naming the line and the field's path.

use std::io::{self, BufRead, Read};

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::LineError;
use crate::document::Chunk;
use crate::json_type_name;

/// The longest line read, so one runaway line cannot exhaust memory: a chunk's text is at most 1 MB and
/// an embedding of 16,000 values is well under 1 MB of JSON.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// Reads lines without ever holding more than one (bounded) line, counting lines and bytes.
pub struct LineReader<R> {
    inner: R,
    buffer: Vec<u8>,
    line_number: u64,
    bytes_read: u64,
}

/// One line read: its 1-based number, and its text or what made it unreadable.
pub type Line<'a> = (u64, Result<&'a str, LineError>);

impl<R: BufRead> LineReader<R> {
    /// A reader over `inner`.
    pub fn new(inner: R) -> Self {
        LineReader { inner, buffer: Vec::with_capacity(64 * 1024), line_number: 0, bytes_read: 0 }
    }

    /// Bytes consumed so far (for progress over a file of known size).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// The next non-blank line, or `None` at the end. A line that cannot be read as text is returned as
    /// an error with its number, and reading can go on after it.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
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
pub fn parse_object(line: &str) -> Result<Map<String, Value>, LineError> {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(LineError::Json(format!("expected an object, got {}", json_type_name(&other)))),
        Err(error) => Err(LineError::Json(json_error_text(&error))),
    }
}

/// serde_json's message with the column but without "line 1", which would contradict the file's line.
pub fn json_error_text(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    match text.strip_suffix(&position) {
        Some(message) => format!("{message} (column {})", error.column()),
        None => text,
    }
}

/// A chunk line, `{"id", "text"?, "metadata"?, "embedding"?}`, read through `Chunk`'s serde shape (unknown
/// fields refused, so a typo such as `metdata` never drops data silently) and checked with core's rules.
pub fn chunk_line(line: &str) -> Result<Chunk, LineError> {
    let chunk: Chunk = from_line(line)?;
    chunk.validate()?;
    Ok(chunk)
}

/// `T` from one line of JSON. A syntax error is [`LineError::Json`]; a value of the wrong shape is
/// [`LineError::Invalid`] naming its path (`embedding[3]`, `metadata.tags[0]`).
pub(crate) fn from_line<T: DeserializeOwned>(line: &str) -> Result<T, LineError> {
    let mut deserializer = serde_json::Deserializer::from_str(line);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        if error.inner().is_syntax() || error.inner().is_eof() {
            LineError::Json(json_error_text(error.inner()))
        } else {
            LineError::Invalid(crate::json::path_error(error))
        }
    })?;
    deserializer.end().map_err(|error| LineError::Json(json_error_text(&error)))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk_error(line: &str) -> String {
        chunk_line(line).map(|_| String::new()).unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn chunk_lines_are_checked_with_field_names() {
        assert_eq!(chunk_error(r#"{"id":"a","text":"t","metadata":{"k":1},"embedding":[1,2]}"#), "");
        assert_eq!(chunk_error(r#"{"id":"a","text":null,"metadata":null,"embedding":null}"#), "");
        assert_eq!(chunk_error(r#"{"text":"t"}"#), "id: missing");
        assert_eq!(chunk_error(r#"{"id":7}"#), "id: invalid type: integer `7`, expected a string");
        assert_eq!(chunk_error(r#"{"id":""}"#), "id: must not be empty");
        assert_eq!(chunk_error(r#"{"id":"a","metadata":[1]}"#), "metadata: must be a JSON object, got an array");
        let typo = chunk_error(r#"{"id":"a","metdata":{}}"#);
        assert!(typo.starts_with("metdata: unknown field, expected one of") && typo.contains("`metadata`"), "{typo}");
        assert!(chunk_error(r#"{"id":"a","embedding":[1,1e39]}"#).starts_with("embedding[1]: 1000"));
        assert!(chunk_error(r#"{"id":"a","embedding":[1,"x"]}"#).starts_with("embedding[1]: invalid type: string"));
        assert!(chunk_error(r#"{"id":"a","embedding":[1,NaN]}"#).starts_with("not valid JSON: "));
        assert!(chunk_error(r#"{"id":"a""#).starts_with("not valid JSON: "));
        assert!(chunk_error(r#""a""#).starts_with("invalid type: string"), "{}", chunk_error(r#""a""#));
        let nul = chunk_error(r#"{"id":"a","metadata":{"k":{"deep":"x\u0000y"}}}"#);
        assert!(nul.starts_with("metadata.k.deep: contains a NUL byte"), "{nul}");
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
