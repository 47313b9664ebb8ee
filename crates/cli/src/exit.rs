//! Exit codes (the DESIGN table) from error variants, never from message text, and the one-line error report.

use std::error::Error as StdError;
use std::process::ExitCode;

use storage_core::StorageError;

use crate::error::{CliError, LineError};

/// Success.
pub(crate) const OK: u8 = 0;
/// A bug, or a failure that is nobody's input.
pub(crate) const INTERNAL: u8 = 1;
/// Bad input or usage; the message names the line, field or flag.
pub(crate) const BAD_INPUT: u8 = 2;
/// The store's state refuses the operation: dimension or model mismatch, not initialized.
pub(crate) const INCOMPATIBLE_STATE: u8 = 3;
/// The backend could not be reached after the configured retries, or stayed locked.
pub(crate) const UNAVAILABLE: u8 = 4;

/// The exit code of a failed command.
pub(crate) fn code(error: &CliError) -> u8 {
    match error {
        CliError::Storage(source) => storage_code(source),
        CliError::Usage(_) | CliError::Config(_) | CliError::Input { .. } => BAD_INPUT,
        // A bad line is bad input whatever core called it (a wrong vector length in a file is the file's
        // fault), except when the store itself is not ready for it.
        CliError::Line { source: LineError::Invalid(StorageError::NotInitialized { .. }), .. } => INCOMPATIBLE_STATE,
        CliError::Line { .. } => BAD_INPUT,
        CliError::Output { .. } if error.is_broken_pipe() => OK,
        CliError::Output { .. } | CliError::Verification(_) | CliError::Internal(_) => INTERNAL,
    }
}

/// The exit code for a storage error, by variant.
pub(crate) fn storage_code(error: &StorageError) -> u8 {
    match error {
        // A missing record is a bad reference in the input (`get ID`), not a broken store.
        StorageError::InvalidInput { .. } | StorageError::Unsupported { .. } | StorageError::NotFound { .. } => {
            BAD_INPUT
        }
        StorageError::DimensionMismatch { .. }
        | StorageError::ModelMismatch { .. }
        | StorageError::NotInitialized { .. }
        | StorageError::Conflict { .. } => INCOMPATIBLE_STATE,
        StorageError::Unavailable { .. } | StorageError::Busy { .. } => UNAVAILABLE,
        StorageError::Backend { .. } => INTERNAL,
        // `StorageError` is non-exhaustive: a variant added later is internal until mapped here.
        _ => INTERNAL,
    }
}

/// The error and its causes on one line, each cause once: core's messages often already quote their
/// source, and repeating it would say the same thing twice.
pub(crate) fn chain(error: &CliError) -> String {
    let mut message = error.to_string();
    let mut source: Option<&(dyn StdError + 'static)> = error.source();
    // `Storage` is transparent: its own source is the first cause not yet in the message.
    while let Some(cause) = source {
        let text = cause.to_string();
        if !text.is_empty() && !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// What `main` returns: the code, and the line to print on stderr (none for success or a closed pipe).
pub(crate) fn outcome(result: Result<(), CliError>) -> (ExitCode, Option<String>) {
    match result {
        Ok(()) => (ExitCode::from(OK), None),
        Err(error) if error.is_broken_pipe() => (ExitCode::from(OK), None),
        Err(error) => (ExitCode::from(code(&error)), Some(format!("brainstore: {}", chain(&error)))),
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;

    fn check(error: CliError, expected: u8) {
        assert_eq!(code(&error), expected, "{error}");
    }

    #[test]
    fn variants_map_to_the_design_table() {
        check(CliError::Storage(StorageError::invalid("where", "bad")), BAD_INPUT);
        check(
            CliError::Storage(StorageError::DimensionMismatch {
                collection: "c".into(),
                stored: 3,
                given: 4,
                remedy: None,
            }),
            INCOMPATIBLE_STATE,
        );
        check(
            CliError::Storage(StorageError::NotInitialized { what: "x".into(), remedy: "y".into() }),
            INCOMPATIBLE_STATE,
        );
        check(CliError::Storage(StorageError::Busy { resource: "db".into(), waited_ms: 5 }), UNAVAILABLE);
        check(
            CliError::Storage(StorageError::Unavailable {
                target: "h:1/db".into(),
                attempts: 2,
                source: "refused".into(),
            }),
            UNAVAILABLE,
        );
        check(CliError::Storage(StorageError::backend("upsert", "boom")), INTERNAL);
        check(CliError::Storage(StorageError::NotFound { what: "chunk `x`".into() }), BAD_INPUT);
        check(CliError::Storage(StorageError::Conflict { reason: "lease lost".into() }), INCOMPATIBLE_STATE);
        check(CliError::usage("--yes"), BAD_INPUT);
        check(CliError::Config("x".into()), BAD_INPUT);
        check(
            CliError::Line {
                line: 3,
                source: LineError::Invalid(StorageError::DimensionMismatch {
                    collection: "c".into(),
                    stored: 3,
                    given: 4,
                    remedy: None,
                }),
            },
            BAD_INPUT,
        );
        check(
            CliError::Line {
                line: 3,
                source: LineError::Invalid(StorageError::NotInitialized { what: "x".into(), remedy: "y".into() }),
            },
            INCOMPATIBLE_STATE,
        );
        check(CliError::stdout(io::Error::from(io::ErrorKind::BrokenPipe)), OK);
        check(CliError::stdout(io::Error::other("disk full")), INTERNAL);
    }

    #[test]
    fn chain_names_each_cause_once() {
        let error = CliError::Storage(StorageError::Unavailable {
            target: "db:5432/app".into(),
            attempts: 2,
            source: "connection refused".into(),
        });
        assert_eq!(chain(&error), "backend unavailable at db:5432/app after 2 attempt(s): connection refused");
        let error = CliError::Line {
            line: 7,
            source: LineError::Invalid(StorageError::invalid("embedding[1]", "1e39 does not fit in an f32")),
        };
        assert_eq!(chain(&error), "line 7: embedding[1]: 1e39 does not fit in an f32");
    }
}
