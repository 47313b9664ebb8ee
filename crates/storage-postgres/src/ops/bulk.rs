//! Bulk loads: while many batches load into an empty collection its HNSW index is set aside, then built
//! once at the end. Building is several times cheaper than growing the graph row by row
//! (research/pg-limits.md: 25 s against 108 s for 105k rows); searches in between are exact scans.
//!
//! A load that never finishes (a crash) leaves the index missing, never wrong: [`ensure_vector_indexes`]
//! at the next `initialize` builds it, as does any large upsert from another process (`ops/upsert.rs`).

use sqlx::{PgConnection, PgPool};
use storage_core::CollectionName;

use super::upsert::{REGISTRY_ROW, space_from_row};
use crate::schema::{ChunkTable, HnswParams, VectorLayout, drop_vector_index_ddl, vector_index_ddl};

/// The most `maintenance_work_mem` an index build asks for. The server's own setting wins when larger.
const MAX_BUILD_MEMORY_BYTES: u64 = 1 << 30;

/// What `begin` found.
pub(crate) enum Begun {
    /// The collection does not exist.
    Missing,
    /// The index was set aside: the collection has vectors and no rows yet.
    Deferred,
    /// Nothing to set aside: the collection has rows already, or no embedding space.
    Unchanged,
}

/// Drops the collection's HNSW index when the collection is empty.
pub(crate) async fn begin(pool: &PgPool, table: &ChunkTable, collection: &CollectionName) -> sqlx::Result<Begun> {
    let mut txn = pool.begin().await?;
    // Under the same share lock as an upsert, so a concurrent reset or drop cannot slip in. A concurrent
    // upsert's rows may not be visible yet; that only means `finish` builds over more rows.
    let Some(row) = sqlx::query(REGISTRY_ROW).bind(collection.as_str()).fetch_optional(&mut *txn).await? else {
        return Ok(Begun::Missing);
    };
    if space_from_row(&row)?.is_none() {
        return Ok(Begun::Unchanged);
    }
    let empty = format!("SELECT NOT EXISTS (SELECT 1 FROM {})", table.qualified());
    if !sqlx::query_scalar::<_, bool>(sqlx::AssertSqlSafe(empty)).fetch_one(&mut *txn).await? {
        return Ok(Begun::Unchanged);
    }
    sqlx::query(sqlx::AssertSqlSafe(drop_vector_index_ddl(table))).execute(&mut *txn).await?;
    txn.commit().await?;
    Ok(Begun::Deferred)
}

/// Builds the collection's HNSW index if it is missing, then makes the keyword and metadata indexes
/// query-ready ([`make_query_ready`]). A collection that is gone needs nothing.
pub(crate) async fn finish(
    pool: &PgPool,
    table: &ChunkTable,
    collection: &CollectionName,
    hnsw: HnswParams,
) -> sqlx::Result<()> {
    let mut txn = pool.begin().await?;
    let Some(row) = sqlx::query(REGISTRY_ROW).bind(collection.as_str()).fetch_optional(&mut *txn).await? else {
        return Ok(());
    };
    if let Some(space) = space_from_row(&row)? {
        // Most loads set nothing aside; skip the row count and the table lock of a no-op CREATE INDEX.
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(table.vector_index_qualified())
            .fetch_one(&mut *txn)
            .await?;
        if !exists {
            build_vector_index(&mut txn, table, VectorLayout::new(&space), hnsw).await?;
        }
    }
    txn.commit().await?;
    let mut conn = pool.acquire().await?;
    make_query_ready(&mut conn, table).await
}

/// After many rows arrived: moves the GIN indexes' pending lists into the indexes (fast update leaves
/// them to every later query to scan: issue 16 measured 393 buffers and 2.1 ms per keyword query right after
/// a load, 46 buffers and 0.3 ms flushed), folds the keyword statistics' deltas into one row, and refreshes
/// the planner's statistics. Outside a transaction, so concurrent writers are not held up.
pub(crate) async fn make_query_ready(conn: &mut PgConnection, table: &ChunkTable) -> sqlx::Result<()> {
    for index in table.gin_indexes_qualified() {
        sqlx::query("SELECT gin_clean_pending_list(to_regclass($1)) WHERE to_regclass($1) IS NOT NULL")
            .bind(index)
            .execute(&mut *conn)
            .await?;
    }
    compact_keyword_stats(&mut *conn, table, 1).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("ANALYZE {}", table.qualified()))).execute(&mut *conn).await?;
    Ok(())
}

/// Folds a chunk table's keyword statistics into one row when it has more than `threshold` delta rows.
/// Concurrent writers keep appending; a concurrent compaction finds the rows gone and adds nothing.
pub(crate) async fn compact_keyword_stats(
    conn: &mut PgConnection,
    table: &ChunkTable,
    threshold: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "WITH gone AS (DELETE FROM bs_keyword_stats WHERE chunk_table = $1 \
         AND (SELECT count(*) FROM bs_keyword_stats WHERE chunk_table = $1) > $2 RETURNING chunks, terms) \
         INSERT INTO bs_keyword_stats SELECT $1, sum(chunks), sum(terms) FROM gone HAVING count(*) > 0",
    )
    .bind(table.name())
    .bind(threshold)
    .execute(conn)
    .await
    .map(drop)
}

/// `CREATE INDEX IF NOT EXISTS` of the collection's HNSW index, with enough `maintenance_work_mem` for
/// the graph to be built in memory: past that, pgvector's build slows down several times.
pub(crate) async fn build_vector_index(
    conn: &mut PgConnection,
    table: &ChunkTable,
    layout: VectorLayout,
    hnsw: HnswParams,
) -> sqlx::Result<()> {
    let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {}", table.qualified())))
        .fetch_one(&mut *conn)
        .await?;
    let wanted = build_memory_bytes(u64::try_from(rows).unwrap_or(0), layout, hnsw);
    // Only ever raised, and only for this transaction.
    sqlx::query(
        "SELECT set_config('maintenance_work_mem', ($1::bigint / 1024)::text || 'kB', true) \
         WHERE pg_size_bytes(current_setting('maintenance_work_mem')) < $1::bigint",
    )
    .bind(i64::try_from(wanted).unwrap_or(i64::MAX))
    .execute(&mut *conn)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(vector_index_ddl(table, layout, hnsw))).execute(&mut *conn).await?;
    Ok(())
}

/// The memory an HNSW build of `rows` vectors needs: each element holds its vector and, on layer 0, up
/// to `2 m` neighbour slots, plus pgvector's per-element overhead; a quarter more for the upper layers
/// and the allocator. Capped at [`MAX_BUILD_MEMORY_BYTES`].
fn build_memory_bytes(rows: u64, layout: VectorLayout, hnsw: HnswParams) -> u64 {
    let value_bytes = u64::from(layout.dimensions) * if layout.uses_halfvec() { 2 } else { 4 };
    let neighbour_bytes = 2 * u64::from(hnsw.m) * 10;
    let per_row = value_bytes + neighbour_bytes + 100;
    rows.saturating_mul(per_row).saturating_mul(5).div_euclid(4).min(MAX_BUILD_MEMORY_BYTES)
}

/// Builds the HNSW index of each of `tables` that has none (a load that did not finish).
/// Returns the collections it built one for.
pub(crate) async fn ensure_vector_indexes(
    pool: &PgPool,
    tables: Vec<(CollectionName, ChunkTable, VectorLayout)>,
    hnsw: HnswParams,
) -> sqlx::Result<Vec<CollectionName>> {
    if tables.is_empty() {
        return Ok(Vec::new());
    }
    let names: Vec<String> = tables.iter().map(|(_, table, _)| table.vector_index_qualified()).collect();
    let missing: Vec<String> = sqlx::query_scalar(
        "SELECT index_name FROM unnest($1::text[]) AS index_name WHERE to_regclass(index_name) IS NULL",
    )
    .bind(&names)
    .fetch_all(pool)
    .await?;
    let mut built = Vec::new();
    for (collection, table, layout) in tables {
        if missing.contains(&table.vector_index_qualified()) {
            let mut txn = pool.begin().await?;
            build_vector_index(&mut txn, &table, layout, hnsw).await?;
            txn.commit().await?;
            built.push(collection);
        }
    }
    Ok(built)
}

#[cfg(test)]
mod tests {
    use storage_core::Metric;

    use super::*;

    #[test]
    fn build_memory_grows_with_rows_and_dimensions_up_to_the_cap() {
        let hnsw = HnswParams { m: 16, ef_construction: 64 };
        let small = VectorLayout { dimensions: 384, metric: Metric::Cosine };
        // 100k × (1536 + 320 + 100) bytes × 1.25 ≈ 244 MB.
        assert_eq!(build_memory_bytes(100_000, small, hnsw), 244_500_000);
        assert_eq!(build_memory_bytes(0, small, hnsw), 0);
        let halfvec = VectorLayout { dimensions: 3072, metric: Metric::Cosine };
        assert_eq!(build_memory_bytes(1_000, halfvec, hnsw), 1_000 * (6144 + 320 + 100) * 5 / 4);
        assert_eq!(build_memory_bytes(10_000_000, small, hnsw), MAX_BUILD_MEMORY_BYTES);
    }
}
