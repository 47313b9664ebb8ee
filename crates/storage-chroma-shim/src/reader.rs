//! One read connection held for a whole search, whose running statement stops when the search is dropped.
//!
//! sqlx-sqlite runs each connection's statements on the connection's own worker thread. Dropping a future
//! that awaits a statement only stops waiting for it: the worker goes on until the statement ends, and the
//! connection, back in the pool, makes the next read wait just as long (issue 13: a few timed-out searches
//! held every read connection). A [`Reader`] installs a SQLite progress handler (sqlx's safe
//! `set_progress_handler`) that answers "stop" once its search is dropped mid-statement, so SQLite abandons
//! the statement within a few thousand VM steps, and closes that connection instead of returning it: the
//! pool opens a fresh one on demand, so no later read sees the tripped handler.
//!
//! A reader that completes every statement leaves its (untripped) handler installed and returns the
//! connection to the pool as usual; the next reader replaces the handler with its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::sqlite::Sqlite;
use sea_orm::sqlx::{self, Executor, SqlitePool};
use sea_orm::{ConnAcquireErr, ConnectionTrait, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr, Statement};
use sea_query_sqlx::SqlxValues;

/// SQLite VM steps between two looks at the cancel flag: an atomic load each, so negligible beside the
/// steps themselves, and a dropped search stops within microseconds of work.
const STEPS_PER_CHECK: i32 = 1_000;

/// One pooled read connection for the statements of one search; a sea-orm connection, so the ops run on it
/// unchanged.
pub(crate) struct Reader {
    conn: Option<tokio::sync::Mutex<PoolConnection<Sqlite>>>,
    /// Set when the reader is dropped with a statement unfinished; the progress handler then interrupts it.
    cancel: Arc<AtomicBool>,
    /// False from the start of a statement until it completes (successfully or not).
    settled: AtomicBool,
    /// True between [`Reader::begin`] and a successful [`Reader::commit`].
    in_transaction: AtomicBool,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader").field("settled", &self.settled.load(Ordering::Relaxed)).finish_non_exhaustive()
    }
}

impl Reader {
    /// A read connection from `pool`, its progress handler tied to this reader.
    pub(crate) async fn acquire(pool: &SqlitePool) -> Result<Reader, DbErr> {
        let mut conn = pool.acquire().await.map_err(acquire_error)?;
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&cancel);
        let mut handle = conn.lock_handle().await.map_err(query_error)?;
        // The handler returns whether to go on.
        handle.set_progress_handler(STEPS_PER_CHECK, move || !flag.load(Ordering::Relaxed));
        drop(handle);
        Ok(Reader {
            conn: Some(tokio::sync::Mutex::new(conn)),
            cancel,
            settled: AtomicBool::new(true),
            in_transaction: AtomicBool::new(false),
        })
    }

    /// Starts a read transaction (one snapshot for the following statements, never blocking writers in
    /// WAL mode). A reader dropped before [`Reader::commit`] closes its connection rather than return it
    /// mid-transaction.
    pub(crate) async fn begin(&self) -> Result<(), DbErr> {
        self.in_transaction.store(true, Ordering::Release);
        self.execute_raw(crate::db::stmt("BEGIN DEFERRED", Vec::new())).await.map(drop)
    }

    /// Ends the transaction [`Reader::begin`] started.
    pub(crate) async fn commit(&self) -> Result<(), DbErr> {
        self.execute_raw(crate::db::stmt("COMMIT", Vec::new())).await?;
        self.in_transaction.store(false, Ordering::Release);
        Ok(())
    }

    async fn lock(&self) -> tokio::sync::MutexGuard<'_, PoolConnection<Sqlite>> {
        // Only `Drop` takes the connection out.
        let conn = self.conn.as_ref().expect("a held connection until drop");
        let guard = conn.lock().await;
        self.settled.store(false, Ordering::Release);
        guard
    }

    fn settle<T>(&self, outcome: Result<T, DbErr>) -> Result<T, DbErr> {
        self.settled.store(true, Ordering::Release);
        outcome
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if !self.settled.load(Ordering::Acquire) || self.in_transaction.load(Ordering::Acquire) {
            self.cancel.store(true, Ordering::Relaxed);
            let mut conn = conn.into_inner();
            // Its handler now stops every statement (and a transaction may be open): close it, after the
            // interrupted statement ends, rather than hand it to the next read.
            conn.close_on_drop();
        }
    }
}

fn acquire_error(error: sqlx::Error) -> DbErr {
    match error {
        sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        sqlx::Error::PoolClosed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
        other => DbErr::Conn(RuntimeErr::SqlxError(other.into())),
    }
}

fn query_error(error: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(error.into()))
}

fn exec_error(error: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(error.into()))
}

/// `statement` with its values bound as sea-orm binds them.
fn bound(statement: &Statement) -> sqlx::query::Query<'_, Sqlite, SqlxValues> {
    let values = statement.values.clone().unwrap_or_else(|| sea_orm::sea_query::Values(Vec::new()));
    sqlx::query_with(sqlx::AssertSqlSafe(statement.sql.as_str()), SqlxValues(values))
}

#[async_trait::async_trait]
impl ConnectionTrait for Reader {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Sqlite
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        let mut conn = self.lock().await;
        let outcome = bound(&stmt).execute(&mut **conn).await.map(ExecResult::from).map_err(exec_error);
        self.settle(outcome)
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let mut conn = self.lock().await;
        let outcome = conn.execute(sqlx::AssertSqlSafe(sql.to_owned())).await.map(ExecResult::from).map_err(exec_error);
        self.settle(outcome)
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        let mut conn = self.lock().await;
        let outcome = bound(&stmt).fetch_optional(&mut **conn).await.map(|row| row.map(QueryResult::from));
        self.settle(outcome.map_err(query_error))
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let mut conn = self.lock().await;
        let outcome = bound(&stmt).fetch_all(&mut **conn).await;
        self.settle(outcome.map(|rows| rows.into_iter().map(QueryResult::from).collect()).map_err(query_error))
    }
}
