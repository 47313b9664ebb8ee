//! One pooled connection held for a whole read, and a stash that keeps a few connections checked out between
//! reads, so a search costs one round trip on one server backend.
//!
//! Through sea-orm's pool every statement checks a connection out and back in, and sqlx pings each returned
//! connection from a background task (a second round trip per statement, several context switches, and the
//! next statement often finding no idle connection and opening another backend that pays connect, type
//! look-ups and statement preparation again). A [`Held`] runs every statement of one operation on one
//! connection through sqlx directly (the same bound values, decoded into sea-orm's `QueryResult`), and on
//! drop puts a connection whose statements all completed into the [`Stash`], from which the next read takes
//! it without touching the pool. A connection whose statement failed, or whose future was dropped mid-way,
//! goes back through the pool, whose release ping recovers or discards it.
//!
//! The stash keeps the pool's own guarantees: it holds at most `capacity` idle connections (fewer than the
//! pool's maximum, so writers always find one), hands out only connections idle for less than
//! [`FRESH_FOR`] (older ones go back through the pool, whose pre-ping and idle timeout apply), and returns a
//! connection to the pool once it has circulated for the pool's `max_lifetime`, so recycling still happens.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::postgres::Postgres;
use sea_orm::{ConnAcquireErr, ConnectionTrait, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr, Statement};
use sea_query_sqlx::SqlxValues;
use sqlx::{Executor, PgPool};

use crate::ops::{HnswOverrides, QueryWith};

/// A stashed connection idle for longer goes back through the pool (as the pool's pre-ping threshold).
pub(crate) const FRESH_FOR: Duration = Duration::from_secs(5);

struct Idle {
    conn: PoolConnection<Postgres>,
    /// When it was stashed.
    since: Instant,
    /// When it left the pool.
    out_since: Instant,
}

/// Connections kept checked out between reads.
pub(crate) struct Stash {
    idle: Mutex<Vec<Idle>>,
    capacity: usize,
    max_out: Duration,
}

impl std::fmt::Debug for Stash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stash").field("idle", &self.len()).field("capacity", &self.capacity).finish()
    }
}

impl Stash {
    /// A stash for a pool of at most `max_connections` whose connections live at most `max_lifetime`.
    pub(crate) fn new(pool_size: u32, max_connections: u32, max_lifetime: Duration) -> Stash {
        // At least one connection always stays with the pool for writers.
        let capacity = pool_size.min(max_connections.saturating_sub(1));
        Stash { idle: Mutex::new(Vec::new()), capacity: capacity as usize, max_out: max_lifetime }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Idle>> {
        self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Idle connections in the stash (the pool counts them as checked out).
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// A connection for one read: the most recently stashed fresh one, or one from the pool.
    pub(crate) async fn hold<'a>(&'a self, pool: &PgPool) -> Result<Held<'a>, DbErr> {
        let stale: Vec<Idle>;
        let fresh = {
            let mut idle = self.lock();
            let keep = idle.iter().position(|entry| entry.since.elapsed() < FRESH_FOR).unwrap_or(idle.len());
            // Older entries sit at the front (connections are pushed at the back).
            stale = idle.drain(..keep).collect();
            idle.pop()
        };
        // Dropped outside the lock: each returns to the pool, which pings it before reuse.
        drop(stale);
        let (conn, out_since) = match fresh {
            Some(entry) => (entry.conn, entry.out_since),
            None => (pool.acquire().await.map_err(acquire_error)?, Instant::now()),
        };
        Ok(Held { conn: Some(tokio::sync::Mutex::new(conn)), clean: AtomicBool::new(true), out_since, stash: self })
    }

    fn put(&self, conn: PoolConnection<Postgres>, out_since: Instant) {
        if out_since.elapsed() >= self.max_out {
            return;
        }
        let mut idle = self.lock();
        if idle.len() < self.capacity {
            idle.push(Idle { conn, since: Instant::now(), out_since });
        }
    }

    /// Returns every stashed connection to the pool (before the pool closes: it waits for them).
    pub(crate) fn drain(&self) {
        let drained: Vec<Idle> = self.lock().drain(..).collect();
        drop(drained);
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
fn bound(statement: &Statement) -> sqlx::query::Query<'_, Postgres, SqlxValues> {
    let values = statement.values.clone().unwrap_or_else(|| sea_orm::sea_query::Values(Vec::new()));
    sqlx::query_with(sqlx::AssertSqlSafe(statement.sql.as_str()), SqlxValues(values))
}

/// One connection for the statements of one read; a sea-orm connection, so every op runs on it unchanged.
pub(crate) struct Held<'a> {
    conn: Option<tokio::sync::Mutex<PoolConnection<Postgres>>>,
    /// False from the start of a statement until it completes successfully.
    clean: AtomicBool,
    out_since: Instant,
    stash: &'a Stash,
}

impl std::fmt::Debug for Held<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Held").field("clean", &self.clean.load(Ordering::Relaxed)).finish_non_exhaustive()
    }
}

impl Held<'_> {
    async fn lock(&self) -> tokio::sync::MutexGuard<'_, PoolConnection<Postgres>> {
        // Only `Drop` takes the connection out.
        let conn = self.conn.as_ref().expect("a held connection until drop");
        let guard = conn.lock().await;
        self.clean.store(false, Ordering::Release);
        guard
    }

    fn completed<T>(&self, outcome: Result<T, DbErr>) -> Result<T, DbErr> {
        if outcome.is_ok() {
            self.clean.store(true, Ordering::Release);
        }
        outcome
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let conn = conn.into_inner();
            if self.clean.load(Ordering::Acquire) {
                self.stash.put(conn, self.out_since);
            }
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Held<'_> {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Postgres
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        let mut conn = self.lock().await;
        let outcome = bound(&stmt).execute(&mut **conn).await.map(ExecResult::from).map_err(exec_error);
        self.completed(outcome)
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let mut conn = self.lock().await;
        let outcome = conn.execute(sqlx::AssertSqlSafe(sql.to_owned())).await.map(ExecResult::from).map_err(exec_error);
        self.completed(outcome)
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        let mut conn = self.lock().await;
        let outcome = bound(&stmt).fetch_optional(&mut **conn).await.map(|row| row.map(QueryResult::from));
        self.completed(outcome.map_err(query_error))
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let mut conn = self.lock().await;
        let outcome = bound(&stmt).fetch_all(&mut **conn).await;
        self.completed(outcome.map(|rows| rows.into_iter().map(QueryResult::from).collect()).map_err(query_error))
    }
}

impl QueryWith for Held<'_> {
    async fn query_with(&self, overrides: HnswOverrides, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let Some(settings) = overrides.statement() else { return self.query_all_raw(statement).await };
        let mut conn = self.lock().await;
        let outcome = async {
            // sqlx's transaction rolls back on drop, so a cancelled read never leaves one open.
            let mut txn = sqlx::Connection::begin(&mut **conn).await.map_err(query_error)?;
            bound(&settings).execute(&mut *txn).await.map_err(exec_error)?;
            let rows = bound(&statement).fetch_all(&mut *txn).await.map_err(query_error)?;
            txn.commit().await.map_err(exec_error)?;
            Ok(rows.into_iter().map(QueryResult::from).collect())
        }
        .await;
        self.completed(outcome)
    }
}
