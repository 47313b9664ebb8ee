//! Benchmark support (feature `bench`): the binary COPY bytes the ingest path sends, so the benchmark's
//! `psql \copy` baseline loads exactly the same rows in the same format; and the SQL `search` and memory
//! `recall` send, as a `pgbench` script, so the raw-SQL baseline runs brainstore's own statements.

use chrono::{DateTime, Utc};
use sea_orm::Statement;
use sea_orm::sea_query::{ArrayType, Value};
use sea_query_sqlx::SqlxValues;
use sqlx::PgConnection;
use storage_core::memory::RecallRequest;
use storage_core::{BoxError, Chunk, CollectionName, SearchRequest, StorageError};
use uuid::Uuid;

use crate::store::PostgresStore;

/// `chunks` in PostgreSQL's binary COPY format, columns `(id, text, metadata, embedding, tsv, n_terms)`, the
/// keyword columns in English.
pub fn binary_copy(chunks: &[Chunk]) -> Vec<u8> {
    crate::ops::copy::encode(chunks, storage_core::TextLanguage::English)
}

/// What one search or recall sends, in order: a statement of its own before (a recall's read of the memory
/// space), the `SELECT set_config(…)` of the HNSW settings its main statement needs inside a transaction of
/// their own, if any, the main statement, and a statement of its own after (a recall's access bump).
#[derive(Clone, Debug)]
pub struct SearchSql {
    pub(crate) before: Option<Statement>,
    pub(crate) settings: Option<Statement>,
    pub(crate) statement: Statement,
    pub(crate) after: Option<Statement>,
}

impl SearchSql {
    fn statements(&self) -> impl Iterator<Item = &Statement> {
        self.before.iter().chain(&self.settings).chain(std::iter::once(&self.statement)).chain(&self.after)
    }

    /// The rows of the main statement, run as brainstore runs it (its settings in the same transaction), its
    /// parameters bound as brainstore binds them; what a raw-SQL client gets back.
    pub async fn fetch(&self, conn: &mut PgConnection) -> Result<Vec<sqlx::postgres::PgRow>, BoxError> {
        let bound = |statement: &Statement| {
            let values = statement.values.clone().unwrap_or(sea_orm::sea_query::Values(Vec::new()));
            sqlx::query_with(sqlx::AssertSqlSafe(statement.sql.clone()), SqlxValues(values))
        };
        let mut txn = sqlx::Connection::begin(&mut *conn).await?;
        if let Some(settings) = &self.settings {
            bound(settings).execute(&mut *txn).await?;
        }
        let rows = bound(&self.statement).fetch_all(&mut *txn).await?;
        txn.commit().await?;
        Ok(rows)
    }
}

/// The statements `store.recall(request)` sends when it answers `hit_ids`, its expiry judged at `now`.
pub async fn recall_sql(
    store: &PostgresStore,
    request: &RecallRequest,
    hit_ids: Vec<Uuid>,
    now: DateTime<Utc>,
) -> Result<SearchSql, StorageError> {
    store.bench_recall_statements(request, hit_ids, now).await
}

/// The statements `store.search(collection, request)` sends for each request (a request that can match
/// nothing sends none and is left out).
pub async fn search_sql(
    store: &PostgresStore,
    collection: &CollectionName,
    requests: &[SearchRequest],
) -> Result<Vec<SearchSql>, StorageError> {
    let mut all = Vec::with_capacity(requests.len());
    for request in requests {
        if let Some((statement, settings)) = store.bench_statement(collection, request).await? {
            all.push(SearchSql { before: None, settings, statement, after: None });
        }
    }
    Ok(all)
}

/// The column type of a bound value.
fn sql_type(value: &Value) -> Result<&'static str, BoxError> {
    Ok(match value {
        Value::Bool(_) => "bool",
        Value::SmallInt(_) => "int2",
        Value::Int(_) => "int4",
        Value::BigInt(_) => "int8",
        Value::Float(_) => "float4",
        Value::Double(_) => "float8",
        Value::String(_) => "text",
        Value::Uuid(_) => "uuid",
        Value::ChronoDateTimeUtc(_) => "timestamptz",
        Value::Json(_) => "jsonb",
        Value::Vector(_) => "vector",
        Value::Array(ArrayType::String, _) => "text[]",
        Value::Array(ArrayType::Int, _) => "int4[]",
        Value::Array(ArrayType::BigInt, _) => "int8[]",
        Value::Array(ArrayType::Double, _) => "float8[]",
        Value::Array(ArrayType::Uuid, _) => "uuid[]",
        other => return Err(format!("no benchmark column type for {other:?}").into()),
    })
}

/// `sql` with every `$n` replaced by `param(n)`.
fn substitute(sql: &str, param: impl Fn(usize) -> String) -> String {
    let mut out = String::with_capacity(sql.len() * 2);
    let mut chars = sql.char_indices().peekable();
    while let Some((_, ch)) = chars.next() {
        if ch != '$' {
            out.push(ch);
            continue;
        }
        let mut number = String::new();
        while let Some((_, digit)) = chars.peek().filter(|(_, c)| c.is_ascii_digit()) {
            number.push(*digit);
            chars.next();
        }
        match number.parse::<usize>() {
            Ok(n) => out.push_str(&param(n)),
            Err(_) => out.push('$'),
        }
    }
    out
}

/// The line a `pgbench` script starts with to pick `qid` at random among the first `n` queries.
pub fn pick_query(n: usize) -> String {
    format!("\\set q random(0, {})\n", n.saturating_sub(1))
}

/// Writes the bound values of `queries` into table `<schema>.bench_params_<name>` (one row per query, `qid`
/// 0, 1, …) and returns the body of a `pgbench` script that runs the same statements with every parameter
/// read from that row for `qid` `:q`: brainstore's SQL text, character for character, apart from the
/// parameters. The caller puts [`pick_query`] before it, choosing how many of the queries a run draws from.
/// Every query must send statements of one shape (the same SQL text).
pub async fn pgbench_script(
    conn: &mut PgConnection,
    schema: &str,
    name: &str,
    queries: &[SearchSql],
) -> Result<String, BoxError> {
    let first = queries.first().ok_or_else(|| format!("{name}: no query sends a statement"))?;
    let shape: Vec<&str> = first.statements().map(|s| s.sql.as_str()).collect();
    if let Some(other) = queries.iter().find(|q| q.statements().map(|s| s.sql.as_str()).ne(shape.iter().copied())) {
        return Err(format!(
            "{name}: queries send statements of different shapes:\n{shape:?}\n{:?}",
            other.statement.sql
        )
        .into());
    }
    let values_of = |query: &SearchSql| -> Vec<Vec<Value>> {
        query.statements().map(|s| s.values.as_ref().map(|v| v.0.clone()).unwrap_or_default()).collect()
    };
    let columns: Vec<Vec<&'static str>> =
        values_of(first).iter().map(|values| values.iter().map(sql_type).collect()).collect::<Result<_, _>>()?;
    let column = |statement: usize, param: usize| format!("s{statement}_p{param}");
    let table = format!("{schema}.bench_params_{name}");
    let mut definition = vec!["qid int PRIMARY KEY".to_owned()];
    for (s, types) in columns.iter().enumerate() {
        definition.extend(types.iter().enumerate().map(|(p, ty)| format!("{} {ty}", column(s, p + 1))));
    }
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE IF EXISTS {table}"))).execute(&mut *conn).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE TABLE {table} ({})", definition.join(", "))))
        .execute(&mut *conn)
        .await?;
    let n_values: usize = columns.iter().map(Vec::len).sum();
    let placeholders: Vec<String> = (1..=n_values + 1).map(|n| format!("${n}")).collect();
    let insert = format!("INSERT INTO {table} VALUES ({})", placeholders.join(", "));
    for (qid, query) in queries.iter().enumerate() {
        let mut values = vec![Value::Int(Some(i32::try_from(qid)?))];
        values.extend(values_of(query).into_iter().flatten());
        let values = sea_orm::sea_query::Values(values);
        sqlx::query_with(sqlx::AssertSqlSafe(insert.clone()), SqlxValues(values)).execute(&mut *conn).await?;
    }
    let mut script = String::new();
    let mut statements = first.statements().enumerate();
    let mut emit = |script: &mut String| {
        if let Some((s, statement)) = statements.next() {
            let text = substitute(&statement.sql, |p| format!("(SELECT {} FROM {table} WHERE qid = :q)", column(s, p)));
            script.push_str(&text);
            script.push_str(";\n");
        }
    };
    if first.before.is_some() {
        emit(&mut script);
    }
    if first.settings.is_some() {
        script.push_str("BEGIN;\n");
        emit(&mut script);
    }
    emit(&mut script);
    if first.settings.is_some() {
        script.push_str("COMMIT;\n");
    }
    if first.after.is_some() {
        emit(&mut script);
    }
    Ok(script)
}

#[cfg(test)]
mod tests {
    use super::substitute;

    #[test]
    fn parameters_are_replaced_by_number() {
        let sql = "SELECT $1, $12 FROM t WHERE a = $2::text[] AND price > 3";
        assert_eq!(substitute(sql, |n| format!("p{n}")), "SELECT p1, p12 FROM t WHERE a = p2::text[] AND price > 3");
    }
}
