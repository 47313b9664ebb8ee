//! `StorageError`: the one error type every `DocumentStore` method returns.

use std::error::Error as StdError;

/// A boxed error kept as the `source` of a `StorageError`, so the chain is never flattened into a string.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// `Result` with [`StorageError`] as the default error type.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Everything that can go wrong in a storage operation, classified by cause ([`StorageError::kind`]).
///
/// Messages are lowercase, name the offending field, line or numbers, and describe the condition only: the
/// command line and the HTTP server each add their own remedy (a command, a route), so a library caller never
/// reads another surface's instructions. No variant ever carries a password: backends report
/// `host:port/database`, never a connection URL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// A value the caller supplied is not acceptable. `field` is a JSON path (`chunks[3].embedding[7]`),
    /// a flag name or `line N`.
    #[error("{}", field_text(.field, .reason))]
    InvalidInput {
        /// Where the bad value is.
        field: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A vector's length differs from the collection's embedding space. Checked before any data is touched.
    #[error(
        "embedding dimension mismatch in collection `{collection}`: the store has {stored} dimensions, \
         {given} were given{remedy}",
        remedy = remedy_suffix(.remedy)
    )]
    DimensionMismatch {
        /// The collection whose space was violated.
        collection: String,
        /// Dimensions recorded for the collection.
        stored: u32,
        /// Dimensions of the offending vector or request.
        given: u32,
        /// More about the condition (`embedding must have 384 values`), in words every surface can show.
        /// `None` when a recorded space was asked to change: each surface then says how to change it.
        remedy: Option<String>,
    },

    /// The embedding provider, model or metric differs from the one recorded for the collection.
    #[error(
        "embedding model mismatch in collection `{collection}`: the store was embedded with {stored}, \
         {given} was given"
    )]
    ModelMismatch {
        /// The collection whose space was violated.
        collection: String,
        /// The recorded `provider/model (metric)`.
        stored: String,
        /// The requested `provider/model (metric)`.
        given: String,
    },

    /// The store, a collection, an embedding space or the memory embedding space has not been set up yet.
    #[error("{what} is not initialized{detail}", detail = detail_suffix(.detail))]
    NotInitialized {
        /// What is missing; a surface names its own way to set it up from it.
        what: Uninitialized,
        /// More about the condition, when there is more to say (never a command: surfaces add those).
        detail: Option<String>,
    },

    /// The named record does not exist (or belongs to another tenant, which looks the same).
    #[error("{what} was not found")]
    NotFound {
        /// What was looked for, e.g. "memory 4f2c… in tenant `acme`".
        what: String,
    },

    /// The operation conflicts with the record's current state, e.g. completing a task whose lease was
    /// lost to another worker.
    #[error("conflict: {reason}")]
    Conflict {
        /// What conflicts.
        reason: String,
    },

    /// The backend could not be reached, after retrying transient failures.
    #[error("backend unavailable at {target} after {attempts} attempt(s): {source}")]
    Unavailable {
        /// `host:port` or a path; never a URL with credentials.
        target: String,
        /// How many connection attempts were made.
        attempts: u32,
        /// The last underlying cause.
        #[source]
        source: BoxError,
    },

    /// What the operation needed stayed taken for longer than it may wait: another process's write lock,
    /// or every connection of a pool.
    #[error("store is busy: {resource} (waited {waited_ms} ms); retry later")]
    Busy {
        /// What was taken, as a phrase: `<file> is locked by another writer`, `every read connection of
        /// <file> is in use`.
        resource: String,
        /// How long the operation waited before giving up.
        waited_ms: u64,
    },

    /// The backend failed for a reason that is not the caller's input.
    #[error("{operation} failed: {source}")]
    Backend {
        /// The operation that failed, e.g. "upsert".
        operation: String,
        /// The underlying cause.
        #[source]
        source: BoxError,
    },

    /// The backend does not offer this operation.
    #[error("{operation} is not supported by the {backend} backend")]
    Unsupported {
        /// The operation that was asked for.
        operation: String,
        /// The backend that lacks it.
        backend: String,
    },
}

/// `field: reason`, or the reason alone when the value is the whole input (no field to name).
fn field_text(field: &str, reason: &str) -> String {
    if field.is_empty() { reason.to_owned() } else { format!("{field}: {reason}") }
}

fn remedy_suffix(remedy: &Option<String>) -> String {
    match remedy {
        Some(remedy) => format!("; {remedy}"),
        None => String::new(),
    }
}

fn detail_suffix(detail: &Option<String>) -> String {
    match detail {
        Some(detail) => format!(": {detail}"),
        None => String::new(),
    }
}

/// What a [`StorageError::NotInitialized`] found missing.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Uninitialized {
    /// The store's schema: no migration has run.
    Store {
        /// A folder, or `host:port/database`.
        location: String,
    },
    /// A collection that does not exist.
    Collection {
        /// Its name.
        name: String,
    },
    /// A collection that records no embedding space, asked to take or compare a vector.
    CollectionSpace {
        /// The collection's name.
        name: String,
    },
    /// The memory embedding space, before one is recorded.
    MemorySpace,
    /// An embedding provider for a space that names no provider and model, asked to embed text.
    EmbeddingProvider {
        /// The space, described (`384 dimensions, cosine`).
        space: String,
    },
    /// Anything else a backend needs set up, in words (`extension pgvector in database app`).
    Other {
        /// What is missing.
        what: String,
    },
}

impl std::fmt::Display for Uninitialized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Uninitialized::Store { location } => write!(f, "the store at {location}"),
            Uninitialized::Collection { name } => write!(f, "collection `{name}`"),
            Uninitialized::CollectionSpace { name } => write!(f, "the embedding space of collection `{name}`"),
            Uninitialized::MemorySpace => f.write_str("the memory embedding space"),
            Uninitialized::EmbeddingProvider { space } => write!(f, "an embedding provider for the space {space}"),
            Uninitialized::Other { what } => f.write_str(what),
        }
    }
}

/// The cause class of a [`StorageError`]: what both the command line's exit code and the HTTP status are
/// chosen from, so the two surfaces never disagree about a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The caller's value is unusable (exit 2, HTTP 400).
    InvalidInput,
    /// The backend does not offer the operation (exit 2, HTTP 400).
    Unsupported,
    /// The named record does not exist (exit 2, HTTP 404).
    NotFound,
    /// The store's recorded state refuses it: a dimension or model mismatch, something not initialized
    /// (exit 3, HTTP 409).
    IncompatibleState,
    /// The record's state refuses it: a lost lease, a finished task (exit 3, HTTP 409).
    Conflict,
    /// The backend could not be reached, or stayed locked (exit 4, HTTP 503).
    Unavailable,
    /// A bug, or a backend failure that is nobody's input (exit 1, HTTP 500).
    Internal,
}

impl StorageError {
    /// An [`StorageError::InvalidInput`] for `field`.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        StorageError::InvalidInput { field: field.into(), reason: reason.into() }
    }

    /// The [`StorageError::NotInitialized`] of an operation on a collection that does not exist.
    pub fn missing_collection(name: &crate::CollectionName) -> Self {
        StorageError::NotInitialized { what: Uninitialized::Collection { name: name.to_string() }, detail: None }
    }

    /// The [`StorageError::NotInitialized`] of a vector given to a collection that records no embedding
    /// space; `field` names the vector (`chunks[3].embedding`).
    pub fn missing_space(name: &crate::CollectionName, field: &str) -> Self {
        StorageError::NotInitialized {
            what: Uninitialized::CollectionSpace { name: name.to_string() },
            detail: Some(format!("{field} is a vector, but the collection records no dimensions")),
        }
    }

    /// The [`StorageError::NotInitialized`] of a memory embedding written or queried before a memory
    /// embedding space is recorded. Every backend returns exactly this.
    pub fn missing_memory_space() -> Self {
        StorageError::NotInitialized {
            what: Uninitialized::MemorySpace,
            detail: Some("memories with embeddings need one recorded first".to_owned()),
        }
    }

    /// The cause class, from which the command line's exit code and the HTTP status are both chosen.
    pub fn kind(&self) -> ErrorKind {
        match self {
            StorageError::InvalidInput { .. } => ErrorKind::InvalidInput,
            StorageError::Unsupported { .. } => ErrorKind::Unsupported,
            StorageError::NotFound { .. } => ErrorKind::NotFound,
            StorageError::DimensionMismatch { .. }
            | StorageError::ModelMismatch { .. }
            | StorageError::NotInitialized { .. } => ErrorKind::IncompatibleState,
            StorageError::Conflict { .. } => ErrorKind::Conflict,
            StorageError::Unavailable { .. } | StorageError::Busy { .. } => ErrorKind::Unavailable,
            StorageError::Backend { .. } => ErrorKind::Internal,
        }
    }

    /// A [`StorageError::Backend`] wrapping `source`.
    pub fn backend(operation: impl Into<String>, source: impl Into<BoxError>) -> Self {
        StorageError::Backend { operation: operation.into(), source: source.into() }
    }

    /// The same error with its `field` prefixed, so an error raised for `embedding[3]` can be reported as
    /// `chunks[7].embedding[3]` or `line 12: embedding[3]`. Other variants are returned unchanged.
    #[must_use]
    pub fn within(self, prefix: &str) -> Self {
        match self {
            StorageError::InvalidInput { field, reason } => {
                let field = if field.is_empty() {
                    prefix.to_owned()
                } else if field.starts_with('[') {
                    format!("{prefix}{field}")
                } else {
                    format!("{prefix}.{field}")
                };
                StorageError::InvalidInput { field, reason }
            }
            other => other,
        }
    }

    /// This error as a serde error raised inside a value that sits at `prefix` (`metadata`): the field is made
    /// relative to it (`.tags[0]: …`, or the reason alone), so a reader that knows the value's path can put
    /// the two together (`chunks[3].metadata.tags[0]: …`).
    pub(crate) fn into_serde<E: serde::de::Error>(self, prefix: &str) -> E {
        match self {
            StorageError::InvalidInput { field, reason } => {
                let relative = field.strip_prefix(prefix).unwrap_or(&field);
                if relative.is_empty() { E::custom(reason) } else { E::custom(format!("{relative}: {reason}")) }
            }
            other => E::custom(other),
        }
    }

    /// Whether the caller's input, not the store, is at fault.
    pub fn is_invalid_input(&self) -> bool {
        self.kind() == ErrorKind::InvalidInput
    }

    /// Whether the store's recorded state (embedding space, initialization) rejected the operation.
    pub fn is_incompatible_state(&self) -> bool {
        self.kind() == ErrorKind::IncompatibleState
    }

    /// Whether the backend could not be reached or was locked.
    pub fn is_unavailable(&self) -> bool {
        self.kind() == ErrorKind::Unavailable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_prefixes_paths_and_indexes() {
        let err = StorageError::invalid("embedding[3]", "NaN is not allowed").within("chunks[7]");
        assert_eq!(err.to_string(), "chunks[7].embedding[3]: NaN is not allowed");
        let err = StorageError::invalid("[2]", "bad").within("ids");
        assert_eq!(err.to_string(), "ids[2]: bad");
        let err = StorageError::invalid("", "bad").within("line 4");
        assert_eq!(err.to_string(), "line 4: bad");
    }

    #[test]
    fn dimension_mismatch_names_both_numbers_and_the_detail() {
        let err = StorageError::DimensionMismatch {
            collection: "default".into(),
            stored: 384,
            given: 768,
            remedy: Some("embedding must have 384 values".into()),
        };
        let text = err.to_string();
        assert!(text.contains("384") && text.contains("768") && text.ends_with("; embedding must have 384 values"));
    }

    #[test]
    fn not_initialized_says_what_is_missing_and_names_no_command() {
        let docs = crate::CollectionName::new("docs").unwrap();
        for (error, expected) in [
            (StorageError::missing_collection(&docs), "collection `docs` is not initialized"),
            (
                StorageError::missing_space(&docs, "chunks[2].embedding"),
                "the embedding space of collection `docs` is not initialized: chunks[2].embedding is a vector, \
                 but the collection records no dimensions",
            ),
            (
                StorageError::missing_memory_space(),
                "the memory embedding space is not initialized: memories with embeddings need one recorded first",
            ),
        ] {
            assert_eq!(error.to_string(), expected);
            assert_eq!(error.kind(), ErrorKind::IncompatibleState);
        }
    }
}
