//! `Failure`: what the SQL of the memory, session and task operations returns — a database error still
//! to be classified, or a `StorageError` already decided (not found, conflict, bad input).

use sea_orm::DbErr;
use storage_core::StorageError;

use crate::error::{ErrorContext, sqlstate, sqlx_cause};

/// A failed operation, before the store maps database errors by cause.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The database failed; classified by SQLSTATE in [`Failure::into_storage`].
    Database(DbErr),
    /// The operation was refused for a reason already expressed as a `StorageError`.
    Refused(StorageError),
}

/// `Result` of the SQL layer of the memory, session and task operations.
pub(crate) type OpResult<T> = Result<T, Failure>;

impl From<DbErr> for Failure {
    fn from(error: DbErr) -> Self {
        Failure::Database(error)
    }
}

impl From<StorageError> for Failure {
    fn from(error: StorageError) -> Self {
        Failure::Refused(error)
    }
}

impl Failure {
    /// The `StorageError` the caller sees: database errors classified by SQLSTATE (`operation` names them).
    pub(crate) fn into_storage(self, errors: &ErrorContext, operation: &str) -> StorageError {
        match self {
            Failure::Database(error) => errors.db(operation, error),
            Failure::Refused(error) => error,
        }
    }
}

/// Whether a database error is a unique violation (SQLSTATE 23505).
pub(crate) fn is_unique_violation(error: &DbErr) -> bool {
    sqlx_cause(error).and_then(sqlstate).as_deref() == Some("23505")
}

/// A decoding error of a column as a `StorageError`.
pub(crate) fn decode_error(what: &'static str) -> impl Fn(DbErr) -> StorageError {
    move |error| StorageError::backend(format!("reading {what}"), error)
}
