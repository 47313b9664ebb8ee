//! `EmbeddedError` for config, open and migrate, and the mapping of SQLite failures to `StorageError`.

use sea_orm::sqlx;
use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr};
use storage_core::{BoxError, StorageError, Uninitialized};

/// What can go wrong configuring, opening or migrating the embedded store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmbeddedError {
    /// A config value is not acceptable.
    #[error("embedded config: {field}: {reason}")]
    Config {
        /// The config key.
        field: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The data dir or database could not be opened or created.
    #[error("cannot open the store at {path}: {source}")]
    Open {
        /// The data dir or database file.
        path: String,
        /// The cause.
        #[source]
        source: BoxError,
    },

    /// The store has no schema yet.
    #[error("the store at {path} is not initialized: run `brainstore init`")]
    NotInitialized {
        /// The data dir.
        path: String,
    },

    /// A migration failed; its transaction was rolled back.
    #[error("migration {name} failed: {source}")]
    Migrate {
        /// The migration's name.
        name: String,
        /// The cause.
        #[source]
        source: BoxError,
    },

    /// Another writer held the database past the busy timeout.
    #[error("store is busy: {path} is locked by another writer (waited {waited_ms} ms); retry later")]
    Busy {
        /// The database file.
        path: String,
        /// The busy timeout that elapsed.
        waited_ms: u64,
    },
}

impl From<EmbeddedError> for StorageError {
    fn from(err: EmbeddedError) -> Self {
        match err {
            EmbeddedError::Config { field, reason } => StorageError::InvalidInput { field, reason },
            EmbeddedError::NotInitialized { path } => {
                StorageError::NotInitialized { what: Uninitialized::Store { location: path }, detail: None }
            }
            EmbeddedError::Busy { path, waited_ms } => StorageError::Busy { resource: path, waited_ms },
            EmbeddedError::Open { path, source } => StorageError::Unavailable { target: path, attempts: 1, source },
            other @ EmbeddedError::Migrate { .. } => StorageError::backend("migrate", other),
        }
    }
}

/// SQLite's primary result codes that mean "someone else holds the lock".
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;

/// The SQLite primary result code behind a sea-orm error, if it came from SQLite.
pub(crate) fn sqlite_code(err: &DbErr) -> Option<i32> {
    let runtime = match err {
        DbErr::Conn(e) | DbErr::Exec(e) | DbErr::Query(e) => e,
        _ => return None,
    };
    let RuntimeErr::SqlxError(sqlx_err) = runtime else { return None };
    match sqlx_err.as_ref() {
        sqlx::Error::Database(db) => db.code().and_then(|code| code.parse::<i32>().ok()).map(|code| code & 0xff),
        _ => None,
    }
}

/// Whether the error is SQLITE_BUSY or SQLITE_LOCKED (after the busy timeout), or a pool wait that timed out.
pub(crate) fn is_busy(err: &DbErr) -> bool {
    matches!(err, DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))
        || matches!(sqlite_code(err), Some(SQLITE_BUSY | SQLITE_LOCKED))
}

/// Maps a database failure of `operation` to the `StorageError` its cause calls for.
pub(crate) fn storage_error(operation: &str, err: DbErr, db_path: &str, busy_timeout_ms: u64) -> StorageError {
    if is_busy(&err) {
        return StorageError::Busy { resource: db_path.to_owned(), waited_ms: busy_timeout_ms };
    }
    StorageError::backend(operation, err)
}
