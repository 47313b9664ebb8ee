//! `StorageError`: the one error type every `DocumentStore` method returns.

use std::error::Error as StdError;

/// A boxed error kept as the `source` of a `StorageError`, so the chain is never flattened into a string.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// `Result` with [`StorageError`] as the default error type.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Everything that can go wrong in a storage operation, classified by cause.
///
/// Messages are lowercase, name the offending field, line or numbers, and add the remedy when one is known.
/// No variant ever carries a password: backends report `host:port/database`, never a connection URL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// A value the caller supplied is not acceptable. `field` is a JSON path (`chunks[3].embedding[7]`),
    /// a flag name or `line N`.
    #[error("{field}: {reason}")]
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
        /// What the user can do about it, when there is something to do.
        remedy: Option<String>,
    },

    /// The embedding provider, model or metric differs from the one recorded for the collection.
    #[error(
        "embedding model mismatch in collection `{collection}`: the store was embedded with {stored}, \
         {given} was given; reset the collection (`brainstore reset --yes`) or re-embed to change it"
    )]
    ModelMismatch {
        /// The collection whose space was violated.
        collection: String,
        /// The recorded `provider/model (metric)`.
        stored: String,
        /// The requested `provider/model (metric)`.
        given: String,
    },

    /// The store, or the named collection, has not been set up yet.
    #[error("{what} is not initialized: {remedy}")]
    NotInitialized {
        /// What is missing, e.g. "collection `docs`".
        what: String,
        /// How to set it up.
        remedy: String,
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

fn remedy_suffix(remedy: &Option<String>) -> String {
    match remedy {
        Some(remedy) => format!("; {remedy}"),
        None => String::new(),
    }
}

impl StorageError {
    /// An [`StorageError::InvalidInput`] for `field`.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        StorageError::InvalidInput { field: field.into(), reason: reason.into() }
    }

    /// The [`StorageError::NotInitialized`] of an operation on a collection that does not exist.
    pub fn missing_collection(name: &crate::CollectionName) -> Self {
        StorageError::NotInitialized {
            what: format!("collection `{name}`"),
            remedy: format!("create it first: `brainstore --collection {name} init`"),
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

    /// Whether the caller's input, not the store, is at fault.
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, StorageError::InvalidInput { .. })
    }

    /// Whether the store's recorded state (embedding space, initialization) rejected the operation.
    pub fn is_incompatible_state(&self) -> bool {
        matches!(
            self,
            StorageError::DimensionMismatch { .. }
                | StorageError::ModelMismatch { .. }
                | StorageError::NotInitialized { .. }
        )
    }

    /// Whether the backend could not be reached or was locked.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StorageError::Unavailable { .. } | StorageError::Busy { .. })
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
    fn dimension_mismatch_names_both_numbers_and_the_remedy() {
        let err = StorageError::DimensionMismatch {
            collection: "default".into(),
            stored: 384,
            given: 768,
            remedy: Some("run `brainstore reset --yes` to start over".into()),
        };
        let text = err.to_string();
        assert!(text.contains("384") && text.contains("768") && text.contains("reset"), "{text}");
    }
}
