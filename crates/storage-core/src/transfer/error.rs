//! `TransferError`: how moving data fails — the store, one line of the input, reading, writing or verifying — so a caller can tell the input's fault from the store's.

use std::io;

use crate::error::StorageError;

/// A failed transfer. Whatever committed before it stays committed; no partial batch is written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransferError {
    /// A store operation failed.
    #[error(transparent)]
    Storage(#[from] StorageError),

    /// One line of the input is bad.
    #[error("line {line}: {source}")]
    Line {
        /// 1-based line number in the input.
        line: u64,
        /// What is wrong with it.
        #[source]
        source: LineError,
    },

    /// The input could not be read.
    #[error("cannot read the input: {0}")]
    Read(#[source] io::Error),

    /// The output could not be written.
    #[error("cannot write the output: {0}")]
    Write(#[source] io::Error),

    /// A copy finished, but the target does not hold what the source does.
    #[error("verification failed: {0}")]
    Verification(String),

    /// The pipeline itself failed (its reader thread would not start, or panicked).
    #[error("{0}")]
    Internal(String),
}

/// What is wrong with one line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LineError {
    /// The line is not JSON.
    #[error("not valid JSON: {0}")]
    Json(String),
    /// The line is too long to be a chunk.
    #[error("longer than {} bytes", super::MAX_LINE_BYTES)]
    TooLong,
    /// The line is not UTF-8.
    #[error("not valid UTF-8")]
    Utf8,
    /// A field is invalid, or the store refused it; the error names the field.
    #[error(transparent)]
    Invalid(#[from] StorageError),
}
