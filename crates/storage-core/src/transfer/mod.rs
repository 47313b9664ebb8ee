//! Moving chunks in and out of a store, as a library the command line, the HTTP server or a binding calls:
//! the JSON-lines chunk reader (and the query, text and memory formats beside it), embedding text lines, the streaming ingest pipeline, the export format, and copy with
//! verification (feature `transfer`, which brings tokio for the pipeline's channel).
//!
//! Nothing here opens a store, a file or a terminal: callers hand in a `DocumentStore`, a reader or a
//! writer, and a [`Progress`] that hears how far a run got. Every line error names its line and field.

mod copy;
mod embed;
mod error;
mod export;
mod ingest;
mod lines;
mod memories;
mod requests;

pub use self::copy::{CopiedCollection, CopyOptions, copy_collections};
pub use self::embed::{EMBED_BATCH, EmbeddedLine, embed_lines};
pub use self::error::{LineError, TransferError};
pub use self::export::{EXPORT_FORMAT_VERSION, ExportHeader, export};
pub use self::ingest::{IngestMode, IngestSettings, IngestSummary, Input, ingest};
pub use self::lines::{Line, LineReader, MAX_LINE_BYTES, chunk_line, json_error_text, parse_object};
pub use self::memories::memory_objects;
pub use self::requests::{QUERY_FIELDS, query_line, text_line};

/// What a long transfer reports as it goes: the command line draws a bar on a terminal, others may log or
/// ignore it. Every method does nothing unless implemented.
pub trait Progress: Send + Sync {
    /// How far the run is (bytes read, or chunks), and a short status.
    fn update(&self, position: u64, message: String) {
        let _ = (position, message);
    }

    /// A line worth keeping: a skipped line, what was committed before a stop.
    fn note(&self, message: &str) {
        let _ = message;
    }

    /// A step with no position of its own (building an index).
    fn stage(&self, message: String) {
        let _ = message;
    }
}

/// A [`Progress`] that reports nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Progress for Silent {}

/// `1234567` as `1,234,567`, for counts in messages.
pub fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (idx, ch) in digits.chars().enumerate() {
        if idx > 0 && (digits.len() - idx).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
