//! Opening the SQLite database (WAL, busy timeout, foreign keys) and the statement helpers every op uses.
//!
//! sqlx-sqlite runs each connection on its own worker thread, so SQLite never blocks the async executor.

use std::time::{Duration, Instant};

use sea_orm::sqlx::ConnectOptions as _;
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, QueryResult,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait, Value,
};
use storage_core::StorageError;

use crate::config::EmbeddedConfig;
use crate::error::{EmbeddedError, storage_error};
use crate::reader::Reader;

/// Page cache of the one write connection: a batch's index pages stay in memory (with 16 MiB, ingest fell
/// from ~9,000 to ~2,300 rows/s at 100k chunks).
const WRITER_CACHE_KIB: u32 = 64 * 1024;

/// Page cache of each read connection. Reads touch few pages each (a keyword doclist, hit rows), and the
/// index load streams the table once, so a large cache per reader only held up to 64 MiB each of pages
/// that the OS caches anyway (4 readers took 256 MiB of the 100k bench's peak RSS).
const READER_CACHE_KIB: u32 = 8 * 1024;

/// The pause between attempts to open a database file another process is switching to WAL.
const OPEN_RETRY_PAUSE: Duration = Duration::from_millis(20);

/// Pools on the store's database file, with what error messages need to name it.
#[derive(Debug, Clone)]
pub(crate) struct Db {
    /// Reads, and writes that need no transaction of their own.
    pub(crate) conn: DatabaseConnection,
    /// The pool behind `conn`, for searches that hold one connection ([`Reader`]).
    readers: SqlitePool,
    /// One connection for `begin_write`: SQLite admits one writer at a time anyway, and this way only one
    /// connection, not every pooled one in turn, grows the large page cache that writes need.
    writer: DatabaseConnection,
    pub(crate) path: String,
    pub(crate) busy_timeout_ms: u64,
}

impl Db {
    /// Opens a pool on the database file. With `create`, the data dir and the file are created; without it,
    /// a missing file is `NotInitialized` and nothing is written to disk.
    pub(crate) async fn open(config: &EmbeddedConfig, create: bool) -> Result<Db, EmbeddedError> {
        let db_path = config.db_path();
        let path = db_path.display().to_string();
        if create {
            std::fs::create_dir_all(&config.data_dir).map_err(|e| EmbeddedError::Open {
                path: config.data_dir.display().to_string(),
                source: Box::new(e),
            })?;
        } else if !db_path.is_file() {
            return Err(EmbeddedError::NotInitialized { path: config.data_dir.display().to_string() });
        }
        let options = SqliteConnectOptions::new()
            .filename(&db_path)
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode: a committed transaction survives a process crash (SIGKILL); only a power
            // loss may lose the last commits, never corrupt the file.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_millis(config.busy_timeout_ms))
            .foreign_keys(true)
            // No mmap: mapped pages would count as this process's memory for every page ever read.
            .disable_statement_logging();
        let pool = |max_connections: u32, cache_kib: u32| {
            SqlitePoolOptions::new()
                .max_connections(max_connections)
                .min_connections(0)
                .acquire_timeout(Duration::from_millis(acquire_timeout_ms(config.busy_timeout_ms)))
                .test_before_acquire(false)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        let mut handle = conn.lock_handle().await?;
                        crate::bm25_rank::register(handle.as_raw_handle())
                            .map_err(|e| sea_orm::sqlx::Error::Configuration(e.into()))
                    })
                })
                .connect_with(options.clone().pragma("cache_size", format!("-{cache_kib}")))
        };
        let open_failed = |err: DbErr| {
            if crate::error::is_busy(&err) {
                EmbeddedError::Busy { path: path.clone(), waited_ms: config.busy_timeout_ms }
            } else {
                EmbeddedError::Open { path: path.clone(), source: Box::new(err) }
            }
        };
        // Switching a new file to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY to the loser of
        // that race at once, without its busy handler: processes opening one fresh data dir together retry
        // here, within the busy timeout, as a locked write would wait.
        let deadline = Instant::now() + Duration::from_millis(config.busy_timeout_ms);
        let (readers, writer) = loop {
            let pools = async {
                Ok::<_, sea_orm::sqlx::Error>((
                    pool(config.max_connections, READER_CACHE_KIB).await?,
                    pool(1, WRITER_CACHE_KIB).await?,
                ))
            };
            match pools.await.map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(std::sync::Arc::new(e)))) {
                Ok(pools) => break pools,
                Err(e) if crate::error::is_busy(&e) && Instant::now() < deadline => {
                    tokio::time::sleep(OPEN_RETRY_PAUSE).await;
                }
                Err(e) => return Err(open_failed(e)),
            }
        };
        Ok(Db {
            conn: DatabaseConnection::from(readers.clone()),
            readers,
            writer: DatabaseConnection::from(writer),
            path,
            busy_timeout_ms: config.busy_timeout_ms,
        })
    }

    /// Closes both pools.
    pub(crate) async fn close(&self) -> Result<(), DbErr> {
        self.conn.close_by_ref().await?;
        self.writer.close_by_ref().await
    }

    /// A mapper from database errors of `operation` to `StorageError`.
    pub(crate) fn err(&self, operation: &'static str) -> impl Fn(DbErr) -> StorageError + '_ {
        move |err| storage_error(operation, err, &self.path, self.busy_timeout_ms)
    }

    /// A write transaction that takes the write lock at `BEGIN`, so the busy timeout covers the wait and a
    /// read-then-write upgrade can never fail half-way.
    pub(crate) async fn begin_write(&self) -> Result<DatabaseTransaction, DbErr> {
        self.writer
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await
    }

    /// One read connection for the statements of a search, whose statement stops if the search is dropped.
    pub(crate) async fn reader(&self) -> Result<Reader, DbErr> {
        Reader::acquire(&self.readers).await
    }

    /// A read transaction: one consistent snapshot, never blocking writers (WAL).
    pub(crate) async fn begin_read(&self) -> Result<DatabaseTransaction, DbErr> {
        self.conn
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Deferred),
                access_mode: None::<AccessMode>,
                ..TransactionOptions::default()
            })
            .await
    }
}

/// How long an operation waits for a pooled connection: six busy timeouts (at least 6 s), so a wait for a
/// connection outlasts a wait for the write lock.
pub(crate) fn acquire_timeout_ms(busy_timeout_ms: u64) -> u64 {
    busy_timeout_ms.max(1_000) * 6
}

/// A statement with bound values.
pub(crate) fn stmt(sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Sqlite, sql, values)
}

/// How one row becomes a value (`session::sessions::decode`, `task::rows::decode`, ...).
pub(crate) type Decode<T> = fn(&QueryResult) -> Result<T, DbErr>;

/// The row `sql` selects or returns, if any, decoded by `decode`.
pub(crate) async fn query_one<T>(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
    decode: Decode<T>,
) -> Result<Option<T>, DbErr> {
    conn.query_one_raw(stmt(sql, values)).await?.as_ref().map(decode).transpose()
}

/// Every row `sql` selects or returns, decoded by `decode`.
pub(crate) async fn query_all<T>(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
    decode: Decode<T>,
) -> Result<Vec<T>, DbErr> {
    conn.query_all_raw(stmt(sql, values)).await?.iter().map(decode).collect()
}

/// Appends ` AND <column> IN (?, ...)` to `sql` and `items` to its `values`; an empty list appends nothing.
pub(crate) fn push_in(sql: &mut String, values: &mut Vec<Value>, column: &str, items: Vec<Value>) {
    if items.is_empty() {
        return;
    }
    sql.push_str(&format!(" AND {column} IN ({})", placeholders(items.len())));
    values.extend(items);
}

/// `?, ?, ?` with `n` placeholders.
pub(crate) fn placeholders(n: usize) -> String {
    let mut text = String::with_capacity(n * 3);
    for idx in 0..n {
        if idx > 0 {
            text.push_str(", ");
        }
        text.push('?');
    }
    text
}
