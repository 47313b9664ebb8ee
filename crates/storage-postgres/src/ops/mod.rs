//! The SQL of every operation, one operation per file, and the small composer they share: static SQL
//! fragments, validated identifiers and bound values, numbered `$1..$n` in one pass.

pub(crate) mod bulk;
pub(crate) mod collections;
pub(crate) mod copy;
pub(crate) mod count;
pub(crate) mod delete;
pub(crate) mod hybrid;
pub(crate) mod keyword;
pub(crate) mod keyword_sql;
pub(crate) mod probe;
pub(crate) mod read;
pub(crate) mod reembed;
pub(crate) mod upsert;
pub(crate) mod vector;

use sea_orm::sea_query::{Expr, PostgresQueryBuilder, QueryBuilder, SqlWriter, SqlWriterValues, Value};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult, Statement, TransactionTrait};
use storage_core::{Embedding, Metadata, StorageError};

use crate::config::IterativeScan;
use crate::schema::ChunkTable;

/// A statement being assembled. Text comes only from `&'static str` fragments of `ops/` and
/// `filter_sql.rs`, or from [`Sql::push_trusted`] for identifiers and casts built from validated names and
/// integers; every user value goes through [`Sql::bind`] or a sea-query expression, as a parameter.
pub(crate) struct Sql {
    writer: SqlWriterValues,
}

impl Sql {
    pub(crate) fn new() -> Self {
        Sql { writer: SqlWriterValues::new("$", true) }
    }

    /// Appends static SQL.
    pub(crate) fn push(&mut self, text: &'static str) -> &mut Self {
        self.push_trusted(text)
    }

    /// Appends text assembled from validated identifiers and integers (table names, `::vector(8)`).
    pub(crate) fn push_trusted(&mut self, text: &str) -> &mut Self {
        // Writing to a String-backed writer cannot fail.
        let _infallible = std::fmt::Write::write_str(&mut self.writer, text);
        self
    }

    /// Appends a row count (`LIMIT`, `FETCH FIRST`) as an integer literal: core bounds every count (at most
    /// 10,000), and a literal lets PostgreSQL's cached generic plan know it, where a parameter would make the
    /// planner guess and re-plan every execution.
    pub(crate) fn push_count(&mut self, count: usize) -> &mut Self {
        self.push_trusted(&count.to_string())
    }

    /// Appends a collection's chunk table.
    pub(crate) fn table(&mut self, table: &ChunkTable) -> &mut Self {
        self.push_trusted(&table.qualified())
    }

    /// Appends a bound parameter.
    pub(crate) fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.writer.push_param(value.into(), &PostgresQueryBuilder);
        self
    }

    /// Appends a sea-query expression (a compiled filter) in parentheses, so `a AND <expr>` keeps its
    /// meaning when the expression is an `OR`; its values are bound in sequence.
    pub(crate) fn expr(&mut self, expr: &Expr) -> &mut Self {
        self.push("(");
        PostgresQueryBuilder.prepare_expr(expr, &mut self.writer);
        self.push(")")
    }

    /// The statement, ready for sea-orm.
    pub(crate) fn build(self) -> Statement {
        let (sql, values) = self.writer.into_parts();
        Statement::from_sql_and_values(DbBackend::Postgres, sql, values.0)
    }
}

/// An embedding as pgvector's type.
pub(crate) fn pg_vector(embedding: &Embedding) -> pgvector::Vector {
    pgvector::Vector::from(embedding.as_slice().to_vec())
}

/// Metadata read back from `jsonb` (validated when it was written).
pub(crate) fn metadata_from(value: serde_json::Value) -> Result<Metadata, StorageError> {
    Metadata::from_stored(value).map_err(|error| StorageError::backend("reading metadata", error))
}

/// An embedding read back from `vector`.
pub(crate) fn embedding_from(vector: Option<pgvector::Vector>) -> Result<Option<Embedding>, StorageError> {
    vector
        .map(|vector| Embedding::new(vector.to_vec()))
        .transpose()
        .map_err(|error| StorageError::backend("reading an embedding", error))
}

/// HNSW settings one query needs beyond those every session starts with; applied with `SET LOCAL`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct HnswOverrides {
    /// A larger `hnsw.ef_search`.
    pub(crate) ef_search: Option<u32>,
    /// `hnsw.iterative_scan`, when sessions do not have it on.
    pub(crate) iterative_scan: Option<IterativeScan>,
}

impl HnswOverrides {
    /// The `SELECT set_config(…)` that applies these settings, or `None` when there is nothing to set.
    pub(crate) fn statement(self) -> Option<Statement> {
        if self.ef_search.is_none() && self.iterative_scan.is_none() {
            return None;
        }
        let mut settings = Sql::new();
        settings.push("SELECT ");
        if let Some(ef_search) = self.ef_search {
            settings.push("set_config('hnsw.ef_search', ").bind(ef_search.to_string()).push(", true)");
        }
        if let Some(mode) = self.iterative_scan {
            if self.ef_search.is_some() {
                settings.push(", ");
            }
            settings.push("set_config('hnsw.iterative_scan', ").bind(mode.as_str()).push(", true)");
        }
        Some(settings.build())
    }
}

/// Running a read with the HNSW settings it needs.
pub(crate) trait QueryWith: ConnectionTrait {
    /// Runs `statement`: directly when every session already has the settings it needs (one round trip),
    /// or in a transaction that sets them with `SET LOCAL` first, so no pooled session keeps them.
    fn query_with(
        &self,
        overrides: HnswOverrides,
        statement: Statement,
    ) -> impl Future<Output = Result<Vec<QueryResult>, DbErr>> + Send;
}

impl QueryWith for DatabaseConnection {
    async fn query_with(&self, overrides: HnswOverrides, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let Some(settings) = overrides.statement() else { return self.query_all_raw(statement).await };
        let txn = self.begin().await?;
        txn.execute_raw(settings).await?;
        let rows = txn.query_all_raw(statement).await?;
        txn.commit().await?;
        Ok(rows)
    }
}
