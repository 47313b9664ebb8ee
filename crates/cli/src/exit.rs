//! Exit codes (the table of docs/design.md) from error kinds, never from message text, and the one-line error report
//! with the command to run when one is known.

use std::error::Error as StdError;
use std::process::ExitCode;

use storage_core::{ErrorKind, StorageError, Uninitialized};

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
        CliError::Storage(source) | CliError::Remedied { source, .. } => storage_code(source),
        CliError::Usage(_) | CliError::Config(_) | CliError::Input { .. } => BAD_INPUT,
        // A bad line is bad input whatever core called it (a wrong vector length in a file is the file's
        // fault), except when the store itself is not ready for it.
        CliError::Line { source: LineError::Invalid(StorageError::NotInitialized { .. }), .. } => INCOMPATIBLE_STATE,
        CliError::Line { .. } => BAD_INPUT,
        CliError::Output { .. } if error.is_broken_pipe() => OK,
        CliError::Output { .. } | CliError::Verification(_) | CliError::Internal(_) => INTERNAL,
    }
}

/// The exit code for a storage error, by its kind (the HTTP status maps from the same kind).
pub(crate) fn storage_code(error: &StorageError) -> u8 {
    match error.kind() {
        // A missing record is a bad reference in the input (`get ID`), not a broken store.
        ErrorKind::InvalidInput | ErrorKind::Unsupported | ErrorKind::NotFound => BAD_INPUT,
        ErrorKind::IncompatibleState | ErrorKind::Conflict => INCOMPATIBLE_STATE,
        ErrorKind::Unavailable => UNAVAILABLE,
        // `ErrorKind` is non-exhaustive: a kind added later is internal until mapped here.
        _ => INTERNAL,
    }
}

/// The command that sets up or changes what a storage error found wrong, when there is one. Core's
/// messages describe the condition only; this is the command line's half.
pub(crate) fn remedy(error: &CliError) -> Option<String> {
    let storage = match error {
        CliError::Remedied { remedy, .. } => return Some(remedy.clone()),
        CliError::Storage(storage) | CliError::Line { source: LineError::Invalid(storage), .. } => storage,
        _ => return None,
    };
    match storage {
        StorageError::NotInitialized { what, .. } => match what {
            Uninitialized::Store { .. } => Some("run `brainstore init`".to_owned()),
            Uninitialized::Collection { name } => {
                Some(format!("create it first: `brainstore --collection {name} init`"))
            }
            Uninitialized::CollectionSpace { name } => {
                Some(format!("record its dimensions first: `brainstore --collection {name} init --dimensions N`"))
            }
            Uninitialized::MemorySpace => {
                Some("record it first: `brainstore memory space set --dimensions N`".to_owned())
            }
            Uninitialized::EmbeddingProvider { .. } => Some(
                "give vectors with the data (`--embedding`), or embed into a collection that records a provider: \
                 `brainstore --collection NEW init --provider local --model all-MiniLM-L6-v2`; a recorded provider \
                 is built from the `embedding:` keys (`embedding.model_path`, `embedding.base_url`, \
                 `embedding.api_key_env`; `brainstore config show` lists them)"
                    .to_owned(),
            ),
            _ => None,
        },
        StorageError::DimensionMismatch { collection, remedy: None, .. }
        | StorageError::ModelMismatch { collection, .. } => Some(format!(
            "reset the collection (`brainstore --collection {collection} reset --yes`) or re-embed it to change \
                 its embedding space"
        )),
        _ => None,
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
        Err(error) => {
            let mut message = format!("brainstore: {}", chain(&error));
            if let Some(remedy) = remedy(&error) {
                message.push_str("; ");
                message.push_str(&remedy);
            }
            (ExitCode::from(code(&error)), Some(message))
        }
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
            CliError::Storage(StorageError::NotInitialized { what: Uninitialized::MemorySpace, detail: None }),
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
                source: LineError::Invalid(StorageError::NotInitialized {
                    what: Uninitialized::Store { location: "x".into() },
                    detail: None,
                }),
            },
            INCOMPATIBLE_STATE,
        );
        check(CliError::stdout(io::Error::from(io::ErrorKind::BrokenPipe)), OK);
        check(CliError::stdout(io::Error::other("disk full")), INTERNAL);
    }

    #[test]
    fn remedies_name_commands_of_this_command_line() {
        let docs = storage_core::CollectionName::new("docs").expect("a valid name");
        let check = |error: CliError, expected: &str| {
            let (_, message) = outcome(Err(error));
            let message = message.expect("a failure prints a line");
            assert!(message.ends_with(expected), "{message}");
        };
        check(StorageError::missing_collection(&docs).into(), "; create it first: `brainstore --collection docs init`");
        check(
            StorageError::missing_memory_space().into(),
            "; record it first: `brainstore memory space set --dimensions N`",
        );
        check(
            CliError::remedied(StorageError::missing_memory_space(), "do this"),
            "memories with embeddings need one recorded first; do this",
        );
        let (_, plain) = outcome(Err(CliError::Storage(StorageError::invalid("where", "bad"))));
        assert_eq!(plain.as_deref(), Some("brainstore: where: bad"));
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
