//! `CliError`: every way a command fails, classified by cause so `exit.rs` can pick the exit code.

use std::io;

use storage_core::StorageError;
pub(crate) use storage_core::transfer::LineError;
use storage_core::transfer::TransferError;

/// `Result` with [`CliError`] as the default error type.
pub(crate) type Result<T, E = CliError> = std::result::Result<T, E>;

/// A failed command. The variant, never the message text, decides the exit code (see `exit.rs`).
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// A storage operation failed; the exit code follows the `StorageError`'s kind, and `exit.rs` adds the
    /// command to run when one is known.
    #[error(transparent)]
    Storage(#[from] StorageError),

    /// A storage error with this command's own remedy, shown instead of the one `exit.rs` would add.
    #[error("{source}")]
    Remedied {
        /// What failed.
        source: StorageError,
        /// What to run about it.
        remedy: String,
    },

    /// A flag or argument is unusable; the message names it.
    #[error("{0}")]
    Usage(String),

    /// The configuration is invalid; the message names the key and where it came from.
    #[error("configuration: {0}")]
    Config(String),

    /// An input file could not be read.
    #[error("cannot read {path}: {source}")]
    Input {
        /// The file, as the user named it.
        path: String,
        /// Why.
        #[source]
        source: io::Error,
    },

    /// One line of a JSON-lines input is bad. Exit 2, or 3 when the store's state refused it.
    #[error("line {line}: {source}")]
    Line {
        /// 1-based line number in the input.
        line: u64,
        /// What is wrong with it.
        #[source]
        source: LineError,
    },

    /// Writing results failed (a closed pipe on stdout exits 0, quietly).
    #[error("cannot write {what}: {source}")]
    Output {
        /// stdout, or the file being written.
        what: String,
        /// Why.
        #[source]
        source: io::Error,
    },

    /// Copying finished but the target does not match the source.
    #[error("verification failed: {0}")]
    Verification(String),

    /// A bug or an environment failure that is nobody's input.
    #[error("{0}")]
    Internal(String),
}

impl CliError {
    /// `source`, with `remedy` as what to do about it.
    pub(crate) fn remedied(source: StorageError, remedy: impl Into<String>) -> Self {
        CliError::Remedied { source, remedy: remedy.into() }
    }

    /// A usage error naming the flag or argument.
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        CliError::Usage(message.into())
    }

    /// A write to stdout failed.
    pub(crate) fn stdout(source: io::Error) -> Self {
        CliError::Output { what: "to stdout".to_owned(), source }
    }

    /// Whether this is stdout closing under us (`brainstore search … | head`), which is not a failure.
    pub(crate) fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Output { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// A failed transfer (ingest, import, export, copy) as the command line's failure of the same cause.
impl From<TransferError> for CliError {
    fn from(error: TransferError) -> Self {
        match error {
            TransferError::Storage(source) => CliError::Storage(source),
            TransferError::Line { line, source } => CliError::Line { line, source },
            TransferError::Read(source) => CliError::Input { path: "the input".to_owned(), source },
            TransferError::Write(source) => CliError::Output { what: "the output".to_owned(), source },
            TransferError::Verification(reason) => CliError::Verification(reason),
            // `TransferError` is non-exhaustive: a cause added later is internal until mapped here.
            other => CliError::Internal(other.to_string()),
        }
    }
}
