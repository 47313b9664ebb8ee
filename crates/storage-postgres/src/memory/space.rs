//! The memory embedding space: the `bs_memory_space` row, and the `embedding` column it types — `vector(N)`
//! with an HNSW index in the space's metric (over `halfvec(N)` above 2000 dimensions, as chunk tables do).
//! Changing the dimensions clears every memory embedding, retypes the column and rebuilds the index.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, Statement};
use storage_core::memory::SpaceReplacement;
use storage_core::{EmbeddingSpace, Metric};

use super::change;
use crate::connection::PgvectorVersion;
use crate::failure::{OpResult, decode_error};
use crate::migration;
use crate::ops::Sql;
use crate::schema::{HnswParams, MAX_PLAIN_STORAGE_DIMENSIONS, VectorLayout};

/// The HNSW index over memory embeddings.
const INDEX_NAME: &str = "bs_memories_embedding";

/// How the space row is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RowLock {
    /// A plain read.
    None,
    /// `FOR SHARE`: writes of embeddings hold it, so the space cannot change under them.
    Share,
    /// `FOR UPDATE`: changing the space.
    Update,
}

impl RowLock {
    /// The locking clause that ends the read.
    fn clause(self) -> &'static str {
        match self {
            RowLock::None => "",
            RowLock::Share => " FOR SHARE",
            RowLock::Update => " FOR UPDATE",
        }
    }
}

/// The recorded memory embedding space.
pub(super) async fn read<C: ConnectionTrait>(db: &C, lock: RowLock) -> OpResult<Option<EmbeddingSpace>> {
    read_row(db, "bs_memory_space", "the memory embedding space", lock).await
}

/// The space in the single row of `table` (`bs_memory_space`, or `bs_memory_staged_space` during a
/// re-embedding); `what` names it in a decoding error.
pub(super) async fn read_row<C: ConnectionTrait>(
    db: &C,
    table: &'static str,
    what: &'static str,
    lock: RowLock,
) -> OpResult<Option<EmbeddingSpace>> {
    let Some(row) = db.query_one_raw(read_statement(table, lock)).await? else { return Ok(None) };
    let get = decode_error(what);
    let dimensions: i32 = row.try_get("", "dimensions").map_err(&get)?;
    let metric: String = row.try_get("", "metric").map_err(&get)?;
    Ok(Some(EmbeddingSpace {
        provider: row.try_get("", "provider").map_err(&get)?,
        model: row.try_get("", "model").map_err(&get)?,
        dimensions: u32::try_from(dimensions).unwrap_or(0),
        metric: metric.parse::<Metric>()?,
    }))
}

/// The statement that reads the space in the single row of `table`.
pub(super) fn read_statement(table: &'static str, lock: RowLock) -> Statement {
    let mut sql = Sql::new();
    sql.push("SELECT provider, model, dimensions, metric FROM ").push(table).push(" WHERE id = 1").push(lock.clause());
    sql.build()
}

/// The distance function of `metric` (what its operator computes), for exact scans no index serves.
pub(super) fn exact_distance(metric: Metric) -> &'static str {
    match metric {
        Metric::Cosine => "cosine_distance",
        Metric::L2 => "l2_distance",
        Metric::InnerProduct => "vector_negative_inner_product",
    }
}

/// Binds `space`'s `provider, model, dimensions, metric`, comma-separated.
pub(super) fn push_space_values(sql: &mut Sql, space: &EmbeddingSpace) {
    sql.bind(space.provider.clone()).push(", ").bind(space.model.clone()).push(", ");
    sql.bind(i32::try_from(space.dimensions).unwrap_or(i32::MAX)).push(", ").bind(space.metric.as_str());
}

/// Records `space` (insert or replace the single row).
pub(super) async fn record(txn: &DatabaseTransaction, space: &EmbeddingSpace, now: DateTime<Utc>) -> OpResult<()> {
    let mut sql = Sql::new();
    sql.push("INSERT INTO bs_memory_space (id, provider, model, dimensions, metric, updated_at) VALUES (1, ");
    push_space_values(&mut sql, space);
    sql.push(", ").bind(now).push(") ON CONFLICT (id) DO UPDATE SET provider = EXCLUDED.provider, ");
    sql.push("model = EXCLUDED.model, dimensions = EXCLUDED.dimensions, metric = EXCLUDED.metric, ");
    sql.push("updated_at = EXCLUDED.updated_at");
    txn.execute_raw(sql.build()).await?;
    Ok(())
}

/// Drops the HNSW index and makes the `embedding` column an untyped `vector`, so it can take vectors of
/// another space before [`type_column`] types and indexes it again (an index over the old dimensions
/// refuses them).
pub(super) async fn untype_column(txn: &DatabaseTransaction) -> OpResult<()> {
    let statements = [
        format!("DROP INDEX IF EXISTS {INDEX_NAME}"),
        "ALTER TABLE bs_memories ALTER COLUMN embedding TYPE vector USING embedding::vector".to_owned(),
    ];
    for statement in statements {
        // DDL from static text; PostgreSQL binds no DDL values.
        let mut sql = Sql::new();
        sql.push_trusted(&statement);
        txn.execute_raw(sql.build()).await?;
    }
    Ok(())
}

/// Types the `embedding` column `vector(N)` (every embedding must be NULL or already N long) and builds
/// its HNSW index, replacing any index of an earlier type.
pub(super) async fn type_column(txn: &DatabaseTransaction, layout: VectorLayout, hnsw: HnswParams) -> OpResult<()> {
    let n = layout.dimensions;
    let mut statements = vec![
        format!("DROP INDEX IF EXISTS {INDEX_NAME}"),
        format!("ALTER TABLE bs_memories ALTER COLUMN embedding TYPE vector({n}) USING embedding::vector({n})"),
    ];
    if n <= MAX_PLAIN_STORAGE_DIMENSIONS {
        statements.push("ALTER TABLE bs_memories ALTER COLUMN embedding SET STORAGE PLAIN".to_owned());
    } else {
        // The type's own storage (PostgreSQL ≥ 16): a large vector would not fit a page inline.
        statements.push("ALTER TABLE bs_memories ALTER COLUMN embedding SET STORAGE DEFAULT".to_owned());
    }
    statements.push(format!(
        "CREATE INDEX {INDEX_NAME} ON bs_memories USING hnsw ({} {}) WITH (m = {}, ef_construction = {})",
        layout.indexed_column(),
        layout.operator_class(),
        hnsw.m,
        hnsw.ef_construction
    ));
    for statement in statements {
        // DDL from static text and integers (dimensions, HNSW parameters); PostgreSQL binds no DDL values.
        let mut sql = Sql::new();
        sql.push_trusted(&statement);
        txn.execute_raw(sql.build()).await?;
    }
    Ok(())
}

/// Records the memory embedding space: the same space again changes nothing, a provider or model given for
/// the first time is recorded, and another one is refused.
pub(super) async fn set(
    db: &DatabaseConnection,
    space: &EmbeddingSpace,
    pgvector: Option<PgvectorVersion>,
    hnsw: HnswParams,
    now: DateTime<Utc>,
) -> OpResult<()> {
    let txn = migration::locked(db).await?;
    match read(&txn, RowLock::Update).await? {
        Some(stored) => {
            if let Some(completed) = storage_core::memory::memory_space_change(&stored, space)? {
                record(&txn, &completed, now).await?;
            }
        }
        None => {
            let layout = VectorLayout::new(space);
            layout.check_supported(pgvector)?;
            type_column(&txn, layout, hnsw).await?;
            record(&txn, space, now).await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// Switches to `space`: marks the memories of other models stale (clearing every embedding and retyping
/// the column when the dimensions change) and records it. Returns how many memories were marked.
pub(super) async fn replace(
    db: &DatabaseConnection,
    space: &EmbeddingSpace,
    pgvector: Option<PgvectorVersion>,
    hnsw: HnswParams,
    now: DateTime<Utc>,
) -> OpResult<u64> {
    let layout = VectorLayout::new(space);
    layout.check_supported(pgvector)?;
    let txn = migration::locked(db).await?;
    let stored = read(&txn, RowLock::Update).await?;
    let replacement = SpaceReplacement::new(stored.as_ref(), space);
    let marked = change::mark_for_new_space(&txn, &replacement, now).await?;
    if replacement.clear_embeddings {
        type_column(&txn, layout, hnsw).await?;
    }
    record(&txn, space, now).await?;
    txn.commit().await?;
    Ok(marked)
}
