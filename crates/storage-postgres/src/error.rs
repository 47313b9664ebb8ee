//! `PostgresError` (config, connect, migrate) and the mapping of driver errors to `StorageError` by
//! SQLSTATE and error kind, never by message text.

use std::io::ErrorKind;

use sea_orm::{DbErr, RuntimeErr};
use storage_core::{BoxError, StorageError, Uninitialized};

/// `Result` with [`PostgresError`] as the default error type.
pub type Result<T, E = PostgresError> = std::result::Result<T, E>;

/// What can go wrong before the store serves requests: its config, the connection, the schema.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PostgresError {
    /// A config value is not acceptable. `field` is the config key.
    #[error("postgres.{field}: {reason}")]
    Config {
        /// The config key.
        field: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The server could not be reached, after retrying transient failures.
    #[error("cannot reach PostgreSQL at {target} after {attempts} attempt(s): {source}")]
    Unreachable {
        /// `host:port`.
        target: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        #[source]
        source: BoxError,
    },

    /// The server refused the connection for a reason retrying cannot fix (password, database, TLS).
    #[error("PostgreSQL at {target} refused the connection: {source}")]
    Connect {
        /// `host:port/database`.
        target: String,
        /// The cause.
        #[source]
        source: BoxError,
    },

    /// The server refused the configured user or database (SQLSTATE 28P01, 28000 or 3D000): a configuration
    /// error that retrying cannot fix. The message names the user and the database, never the password.
    #[error("PostgreSQL at {target} {refusal}")]
    Refused {
        /// `host:port/database`.
        target: String,
        /// What was refused and what to check, e.g. "refused the password of user `app` (...)".
        refusal: String,
        /// The server's own words, with its SQLSTATE.
        #[source]
        source: BoxError,
    },

    /// pgvector is not installed and this user may not install it.
    #[error(
        "the pgvector extension is missing in database `{database}` and user `{user}` may not create it; \
         an administrator must run `CREATE EXTENSION IF NOT EXISTS vector;` in database `{database}`"
    )]
    ExtensionMissing {
        /// The database.
        database: String,
        /// The connecting user.
        user: String,
        /// The server's refusal.
        #[source]
        source: BoxError,
    },

    /// The installed pgvector lacks something brainstore needs.
    #[error(
        "pgvector {installed} is too old: {what} needs pgvector {needed} or later (`ALTER EXTENSION vector UPDATE;`)"
    )]
    PgvectorTooOld {
        /// The installed version.
        installed: String,
        /// The version needed.
        needed: String,
        /// What needs it.
        what: String,
    },

    /// Creating or migrating the schema failed.
    #[error("{operation} failed: {source}")]
    Migrate {
        /// What was being done.
        operation: String,
        /// The cause.
        #[source]
        source: BoxError,
    },
}

impl From<PostgresError> for StorageError {
    fn from(error: PostgresError) -> Self {
        match error {
            PostgresError::Config { field, reason } => StorageError::invalid(format!("postgres.{field}"), reason),
            PostgresError::Unreachable { target, attempts, source } => {
                StorageError::Unavailable { target, attempts, source }
            }
            PostgresError::ExtensionMissing { ref database, .. } => StorageError::NotInitialized {
                what: Uninitialized::Other { what: format!("the pgvector extension in database `{database}`") },
                detail: Some(error.to_string()),
            },
            PostgresError::PgvectorTooOld { .. } => {
                StorageError::Unsupported { operation: error.to_string(), backend: "postgres".to_owned() }
            }
            PostgresError::Connect { target, source } => {
                StorageError::Backend { operation: format!("connecting to {target}"), source }
            }
            PostgresError::Refused { target, refusal, source } => {
                StorageError::invalid("database_url", format!("PostgreSQL at {target} {refusal}: {source}"))
            }
            PostgresError::Migrate { operation, source } => StorageError::Backend { operation, source },
        }
    }
}

/// The sqlx error inside a sea-orm error, if there is one.
pub(crate) fn sqlx_cause(error: &DbErr) -> Option<&sqlx::Error> {
    match error {
        DbErr::Conn(RuntimeErr::SqlxError(inner))
        | DbErr::Exec(RuntimeErr::SqlxError(inner))
        | DbErr::Query(RuntimeErr::SqlxError(inner)) => Some(inner.as_ref()),
        _ => None,
    }
}

/// The SQLSTATE of a database error.
pub(crate) fn sqlstate(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Database(db) => db.code().map(|code| code.into_owned()),
        _ => None,
    }
}

/// A PostgreSQL error in the server's own words, with its SQLSTATE, and without what sqlx adds to its
/// `Display`: the line of PostgreSQL's C source that raised it (`... at line 317`), which says nothing to a
/// user. The driver error is not kept as a source, since printing the chain would bring the line back;
/// the SQLSTATE it carried is here, and every classification is made from it before wrapping.
#[derive(Debug)]
pub(crate) struct ServerError {
    code: String,
    message: String,
    detail: Option<String>,
    hint: Option<String>,
}

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if let Some(detail) = &self.detail {
            write!(f, "; {detail}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "; hint: {hint}")?;
        }
        write!(f, " (SQLSTATE {})", self.code)
    }
}

impl std::error::Error for ServerError {}

impl ServerError {
    fn of(error: &sqlx::Error) -> Option<Self> {
        let sqlx::Error::Database(db) = error else { return None };
        let pg = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()?;
        Some(ServerError {
            code: pg.code().to_owned(),
            message: pg.message().to_owned(),
            detail: pg.detail().map(str::to_owned),
            hint: pg.hint().map(str::to_owned),
        })
    }
}

/// `error` as the source of a `StorageError` or `PostgresError`: a server error as [`ServerError`], any
/// other (I/O, TLS, pool) as it is.
pub(crate) fn cause(error: sqlx::Error) -> BoxError {
    match ServerError::of(&error) {
        Some(server) => Box::new(server),
        None => Box::new(error),
    }
}

/// [`cause`] for a sea-orm error: the server error inside it, or the sea-orm error itself.
pub(crate) fn db_cause(error: DbErr) -> BoxError {
    match sqlx_cause(&error).and_then(ServerError::of) {
        Some(server) => Box::new(server),
        None => Box::new(error),
    }
}

/// What the server refused when it turned a connection away with `code`, for the connection settings
/// `user` and `database`, if a configuration change (not a retry) is what fixes it. Never the password.
pub(crate) fn refusal(code: &str, user: &str, database: &str) -> Option<String> {
    let (user, database) = (storage_core::quoted(user), storage_core::quoted(database));
    match code {
        "28P01" => Some(format!(
            "refused the password of user {user}; check the user and password in database_url \
             (or postgres.user and postgres.password)"
        )),
        "28000" => Some(format!(
            "does not let user {user} connect to database {database} (no such role, or no pg_hba.conf entry \
             allows it); check the user in database_url (or postgres.user)"
        )),
        "3D000" => Some(format!(
            "has no database {database}; create it, or fix the database in database_url (or postgres.database)"
        )),
        _ => None,
    }
}

/// SQLSTATEs that say "try again later": connection exceptions (class 08), the server starting up or
/// shutting down, and too many connections.
fn is_transient_sqlstate(code: &str) -> bool {
    (code.starts_with("08") && code != "08P01") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
}

fn is_transient_io(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::ConnectionRefused
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::NotConnected
            | ErrorKind::BrokenPipe
            | ErrorKind::TimedOut
            | ErrorKind::UnexpectedEof
            | ErrorKind::HostUnreachable
            | ErrorKind::NetworkUnreachable
            | ErrorKind::AddrNotAvailable
            | ErrorKind::Interrupted
    )
}

/// Whether a failure to connect is worth retrying (refused, timeout, starting up), classified by error kind
/// and SQLSTATE. Bad passwords, missing databases and TLS failures are not.
pub(crate) fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(io) => is_transient_io(io.kind()),
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(_) => sqlstate(error).is_some_and(|code| is_transient_sqlstate(&code)),
        _ => false,
    }
}

/// How a failure is reported, decided from its SQLSTATE or error kind.
enum FailureKind {
    Closed,
    Unavailable,
    SchemaMissing,
    InvalidValue(String),
    Backend,
}

fn failure_kind(cause: &sqlx::Error) -> FailureKind {
    match cause {
        sqlx::Error::PoolClosed => FailureKind::Closed,
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) => FailureKind::Unavailable,
        sqlx::Error::Database(db) => {
            let code = sqlstate(cause).unwrap_or_default();
            if is_transient_sqlstate(&code) {
                FailureKind::Unavailable
            } else if code == "42P01" || code == "3F000" {
                FailureKind::SchemaMissing
            } else if code.starts_with("22") || code == "54000" {
                FailureKind::InvalidValue(db.message().to_owned())
            } else {
                FailureKind::Backend
            }
        }
        _ => FailureKind::Backend,
    }
}

/// Where a failed operation ran: for `Unavailable` errors.
#[derive(Clone, Debug)]
pub(crate) struct ErrorContext {
    /// `host:port`.
    pub(crate) target: String,
}

impl ErrorContext {
    /// Maps a sea-orm error of `operation` to the `StorageError` its cause calls for.
    pub(crate) fn db(&self, operation: &str, error: DbErr) -> StorageError {
        let kind = match &error {
            DbErr::ConnectionAcquire(_) => FailureKind::Unavailable,
            other => sqlx_cause(other).map_or(FailureKind::Backend, failure_kind),
        };
        self.build(operation, kind, db_cause(error))
    }

    /// Maps a sqlx error of `operation` to the `StorageError` its cause calls for.
    pub(crate) fn sqlx(&self, operation: &str, error: sqlx::Error) -> StorageError {
        let kind = failure_kind(&error);
        self.build(operation, kind, cause(error))
    }

    fn build(&self, operation: &str, kind: FailureKind, source: BoxError) -> StorageError {
        match kind {
            FailureKind::Closed => StorageError::NotInitialized {
                what: Uninitialized::Other { what: "the PostgreSQL store handle".to_owned() },
                detail: Some("it was closed; open the store again".to_owned()),
            },
            FailureKind::Unavailable => StorageError::Unavailable { target: self.target.clone(), attempts: 1, source },
            FailureKind::SchemaMissing => StorageError::NotInitialized {
                what: Uninitialized::Store { location: self.target.clone() },
                detail: None,
            },
            FailureKind::InvalidValue(reason) => StorageError::invalid(operation, reason),
            FailureKind::Backend => StorageError::Backend { operation: operation.to_owned(), source },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_the_user_and_database_and_what_to_fix() {
        let password = refusal("28P01", "app", "db").unwrap();
        assert!(password.contains("user `app`") && password.contains("database_url"), "{password}");
        let role = refusal("28000", "app", "db").unwrap();
        assert!(role.contains("user `app`") && role.contains("database `db`"), "{role}");
        let database = refusal("3D000", "app", "db").unwrap();
        assert!(database.contains("no database `db`") && database.contains("database_url"), "{database}");
        assert!(refusal("57P03", "app", "db").is_none(), "a server starting up is retried, not a configuration error");
        assert!(refusal("42P01", "app", "db").is_none());
    }
}
