//! Staged re-embedding (storage-core's `reembed` protocol) on PostgreSQL: new vectors in
//! `bs_staged_vectors` beside the chunk table's, each tagged with the row's revision (`updated_at` in
//! microseconds) when its text was read, so a row written since counts as pending again.
//!
//! The switch runs in one transaction under the schema lock and the registry row's exclusive lock (which
//! upserts wait for): it retypes the vector column to `vector(N)` of the new space, fills it from the staged
//! vectors, builds the HNSW index once over the full table, as a bulk load does, records the space and
//! drops the staging. Searches wait for that transaction, then answer in the new space.

use sqlx::{PgConnection, PgPool, Row};
use storage_core::{
    CollectionName, EmbeddingSpace, Metric, PendingText, ReembedProgress, StagedVector, StorageError,
    check_staged_space, check_staged_vectors, check_switch, not_staged,
};

use super::bulk::{build_vector_index, make_query_ready};
use super::upsert::REGISTRY_ROW;
use crate::migration::SCHEMA_LOCK_KEY;
use crate::schema::{ChunkTable, HnswParams, VectorLayout, drop_vector_index_ddl, retype_vector_column_ddl};

/// A chunk row's revision, from its `updated_at` (`extract` is exact numeric on PostgreSQL ≥ 14).
const REVISION: &str = "(extract(epoch FROM c.updated_at) * 1000000)::int8";

/// Why a staging operation did not happen.
pub(crate) enum Failure {
    /// Core's rules refused it, or the collection is missing.
    Refused(StorageError),
    /// The database failed.
    Database(sqlx::Error),
}

impl From<sqlx::Error> for Failure {
    fn from(error: sqlx::Error) -> Self {
        Failure::Database(error)
    }
}

impl From<StorageError> for Failure {
    fn from(error: StorageError) -> Self {
        Failure::Refused(error)
    }
}

type Result<T> = std::result::Result<T, Failure>;

/// Binds `$1` the collection and `$2`..`$5` its space's provider, model, dimensions and metric, the order
/// both the staging row and the registry row take them in.
fn bind_space<'q>(
    query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    name: &'q CollectionName,
    space: &'q EmbeddingSpace,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    query
        .bind(name.as_str())
        .bind(space.provider.as_deref())
        .bind(space.model.as_deref())
        .bind(i32::try_from(space.dimensions).unwrap_or(i32::MAX))
        .bind(space.metric.as_str())
}

async fn registered(conn: &mut PgConnection, name: &CollectionName) -> Result<()> {
    match sqlx::query(REGISTRY_ROW).bind(name.as_str()).fetch_optional(&mut *conn).await? {
        Some(_) => Ok(()),
        None => Err(StorageError::missing_collection(name).into()),
    }
}

/// The space staged for `name`; `lock` is `""`, `" FOR SHARE"` or `" FOR UPDATE"`.
async fn staged_space(
    conn: &mut PgConnection,
    name: &CollectionName,
    lock: &'static str,
) -> Result<Option<EmbeddingSpace>> {
    let sql = format!("SELECT provider, model, dimensions, metric FROM bs_staged_spaces WHERE collection = $1{lock}");
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name.as_str()).fetch_optional(&mut *conn).await? else {
        return Ok(None);
    };
    let dimensions: i32 = row.try_get("dimensions")?;
    let metric: String = row.try_get("metric")?;
    Ok(Some(EmbeddingSpace {
        provider: row.try_get("provider")?,
        model: row.try_get("model")?,
        dimensions: u32::try_from(dimensions).map_err(|e| sqlx::Error::Decode(e.into()))?,
        metric: metric.parse::<Metric>()?,
    }))
}

async fn progress_of(
    conn: &mut PgConnection,
    table: &ChunkTable,
    name: &CollectionName,
    space: EmbeddingSpace,
) -> Result<ReembedProgress> {
    let sql = format!(
        "SELECT count(*) AS total, count(s.id) AS staged FROM {} AS c LEFT JOIN bs_staged_vectors s \
         ON s.collection = $1 AND s.id = c.id AND s.revision = {REVISION}",
        table.qualified()
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name.as_str()).fetch_one(&mut *conn).await?;
    let count = |column: &str| -> Result<u64> { Ok(u64::try_from(row.try_get::<i64, _>(column)?).unwrap_or(0)) };
    Ok(ReembedProgress { staged: count("staged")?, total: count("total")?, space })
}

pub(crate) async fn begin(
    pool: &PgPool,
    table: &ChunkTable,
    name: &CollectionName,
    space: &EmbeddingSpace,
) -> Result<ReembedProgress> {
    let mut txn = pool.begin().await?;
    registered(&mut txn, name).await?;
    // Two processes beginning at once: one row wins, and the other is checked against it.
    bind_space(
        sqlx::query(
            "INSERT INTO bs_staged_spaces (collection, provider, model, dimensions, metric) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (collection) DO NOTHING",
        ),
        name,
        space,
    )
    .execute(&mut *txn)
    .await?;
    let staged = staged_space(&mut txn, name, " FOR SHARE").await?;
    check_staged_space(name, staged.as_ref(), space)?;
    let progress = progress_of(&mut txn, table, name, space.clone()).await?;
    txn.commit().await?;
    Ok(progress)
}

pub(crate) async fn progress(
    pool: &PgPool,
    table: &ChunkTable,
    name: &CollectionName,
) -> Result<Option<ReembedProgress>> {
    let mut conn = pool.acquire().await?;
    registered(&mut conn, name).await?;
    match staged_space(&mut conn, name, "").await? {
        Some(space) => Ok(Some(progress_of(&mut conn, table, name, space).await?)),
        None => Ok(None),
    }
}

pub(crate) async fn pending(
    pool: &PgPool,
    table: &ChunkTable,
    name: &CollectionName,
    limit: usize,
) -> Result<Vec<PendingText>> {
    let mut conn = pool.acquire().await?;
    registered(&mut conn, name).await?;
    if staged_space(&mut conn, name, "").await?.is_none() {
        return Err(not_staged(name).into());
    }
    let sql = format!(
        "SELECT c.id, c.\"text\", {REVISION} AS revision FROM {} AS c WHERE NOT EXISTS (SELECT 1 FROM bs_staged_vectors s \
         WHERE s.collection = $1 AND s.id = c.id AND s.revision = {REVISION}) ORDER BY c.id LIMIT $2",
        table.qualified()
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(name.as_str())
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(PendingText { id: row.try_get("id")?, text: row.try_get("text")?, revision: row.try_get("revision")? })
        })
        .collect()
}

pub(crate) async fn stage(
    pool: &PgPool,
    table: &ChunkTable,
    name: &CollectionName,
    vectors: Vec<StagedVector>,
) -> Result<u64> {
    let mut txn = pool.begin().await?;
    registered(&mut txn, name).await?;
    // The share lock holds off a switch or an abandon until these vectors are written.
    let space = staged_space(&mut txn, name, " FOR SHARE").await?;
    check_staged_vectors(name, space.as_ref(), &vectors)?;
    if vectors.is_empty() {
        return Ok(0);
    }
    let n = vectors.len();
    let (mut ids, mut revisions, mut embeddings) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    for vector in vectors {
        ids.push(vector.id);
        revisions.push(vector.revision);
        embeddings.push(pgvector::Vector::from(vector.embedding.into_vec()));
    }
    // Only rows that still have the revision a vector was computed from take it.
    let sql = format!(
        "INSERT INTO bs_staged_vectors (collection, id, revision, embedding) \
         SELECT $1, v.id, v.revision, v.embedding FROM unnest($2::text[], $3::int8[], $4::vector[]) AS v(id, revision, embedding) \
         JOIN {} AS c ON c.id = v.id AND {REVISION} = v.revision \
         ON CONFLICT (collection, id) DO UPDATE SET revision = EXCLUDED.revision, embedding = EXCLUDED.embedding",
        table.qualified()
    );
    let written = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(name.as_str())
        .bind(ids)
        .bind(revisions)
        .bind(embeddings)
        .execute(&mut *txn)
        .await?
        .rows_affected();
    txn.commit().await?;
    Ok(written)
}

pub(crate) async fn switch(
    pool: &PgPool,
    table: &ChunkTable,
    name: &CollectionName,
    hnsw: HnswParams,
) -> Result<ReembedProgress> {
    let mut txn = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(SCHEMA_LOCK_KEY).execute(&mut *txn).await?;
    // The exclusive lock waits for running upserts (they hold it shared) and holds off new ones.
    let locked = sqlx::query("SELECT 1 FROM bs_collections WHERE name = $1 FOR UPDATE")
        .bind(name.as_str())
        .fetch_optional(&mut *txn)
        .await?;
    if locked.is_none() {
        return Err(StorageError::missing_collection(name).into());
    }
    let space = staged_space(&mut txn, name, " FOR UPDATE").await?.ok_or_else(|| not_staged(name))?;
    let progress = progress_of(&mut txn, table, name, space).await?;
    check_switch(name, &progress)?;
    let layout = VectorLayout::new(&progress.space);
    sqlx::query(sqlx::AssertSqlSafe(drop_vector_index_ddl(table))).execute(&mut *txn).await?;
    for ddl in retype_vector_column_ddl(table, layout) {
        sqlx::query(sqlx::AssertSqlSafe(ddl)).execute(&mut *txn).await?;
    }
    let fill = format!(
        "UPDATE {} AS c SET embedding = s.embedding::vector({}) FROM bs_staged_vectors s \
         WHERE s.collection = $1 AND s.id = c.id",
        table.qualified(),
        layout.dimensions
    );
    sqlx::query(sqlx::AssertSqlSafe(fill)).bind(name.as_str()).execute(&mut *txn).await?;
    build_vector_index(&mut txn, table, layout, hnsw).await?;
    let space = &progress.space;
    bind_space(
        sqlx::query(
            "UPDATE bs_collections SET provider = $2, model = $3, dimensions = $4, metric = $5, updated_at = now() \
             WHERE name = $1",
        ),
        name,
        space,
    )
    .execute(&mut *txn)
    .await?;
    sqlx::query("DELETE FROM bs_staged_spaces WHERE collection = $1").bind(name.as_str()).execute(&mut *txn).await?;
    txn.commit().await?;
    let mut conn = pool.acquire().await?;
    make_query_ready(&mut conn, table).await?;
    Ok(progress)
}

pub(crate) async fn abandon(pool: &PgPool, name: &CollectionName) -> Result<bool> {
    let mut txn = pool.begin().await?;
    registered(&mut txn, name).await?;
    let deleted = sqlx::query("DELETE FROM bs_staged_spaces WHERE collection = $1")
        .bind(name.as_str())
        .execute(&mut *txn)
        .await?
        .rows_affected();
    txn.commit().await?;
    Ok(deleted > 0)
}

/// Drops a collection's staging inside `reset`'s transaction: the rows it was for are gone.
pub(crate) async fn forget_staging<C: sea_orm::ConnectionTrait>(
    db: &C,
    name: &CollectionName,
) -> std::result::Result<(), sea_orm::DbErr> {
    let forget = sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        "DELETE FROM bs_staged_spaces WHERE collection = $1",
        [name.as_str().into()],
    );
    db.execute_raw(forget).await.map(drop)
}
