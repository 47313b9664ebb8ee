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
            EmbeddedError::Busy { path, waited_ms } => {
                StorageError::Busy { resource: format!("{path} is locked by another writer"), waited_ms }
            }
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

/// Maps a database failure of `operation` to the `StorageError` its cause calls for. A pool wait that timed
/// out says so: every connection was busy with other operations (long searches, say), which no writer's
/// lock explains.
pub(crate) fn storage_error(operation: &str, err: DbErr, db_path: &str, busy_timeout_ms: u64) -> StorageError {
    if matches!(err, DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)) {
        return StorageError::Busy {
            resource: format!("every connection of {db_path} is in use by other operations"),
            waited_ms: crate::db::acquire_timeout_ms(busy_timeout_ms),
        };
    }
    if is_busy(&err) {
        return StorageError::Busy {
            resource: format!("{db_path} is locked by another writer"),
            waited_ms: busy_timeout_ms,
        };
    }
    StorageError::backend(operation, err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_wait_that_timed_out_says_the_connections_are_busy_not_a_writer() {
        let err = DbErr::ConnectionAcquire(ConnAcquireErr::Timeout);
        let message = storage_error("keyword search", err, "/data/store.db", 5_000).to_string();
        assert_eq!(
            message,
            "store is busy: every connection of /data/store.db is in use by other operations (waited 30000 ms); retry later"
        );
        assert!(!message.contains("writer"), "{message}");
    }
}
