//! Upsert: one transaction per batch, no per-row round trips. Small batches go in one multi-row insert
//! (`unnest` of arrays); large ones through binary COPY into a staging table, then one
//! `INSERT … ON CONFLICT (id) DO UPDATE`. `created_at` is kept on update, `updated_at` advanced; a chunk
//! identical to the stored one is left untouched (no tsvector, index or WAL work) and counts as updated.
//!
//! A COPY batch at least as large as the collection already is (an initial load, or a load that doubles
//! it) drops the HNSW index and builds it again after the insert, in the same transaction: building is
//! several times cheaper per row than inserting into a live index (research/pg-limits.md). The rebuild
//! holds the table's lock until commit, so concurrent searches of that collection wait for it.

use sqlx::{PgPool, Row};
use storage_core::{Chunk, CollectionName, EmbeddingSpace, Metric, StorageError, UpsertSummary, ValidatedBatch};

use super::bulk::{build_vector_index, compact_keyword_stats, make_query_ready};
use super::copy::{STAGING_TABLE, copy_to_staging};
use super::keyword_sql::{KeywordColumns, text_language};
use crate::schema::{ChunkTable, HnswParams, VectorLayout, drop_vector_index_ddl};

/// Keyword statistics rows a chunk table may gather before an upsert folds them (a query sums them all).
const STATS_ROWS_BEFORE_COMPACTION: i64 = 64;

/// Batches of at least this many chunks go through COPY.
pub(crate) const COPY_THRESHOLD: usize = 200;

pub(super) const REGISTRY_ROW: &str =
    "SELECT language, provider, model, dimensions, metric FROM bs_collections WHERE name = $1 FOR SHARE";

const CONFLICT: &str = " ON CONFLICT (id) DO UPDATE SET \"text\" = EXCLUDED.\"text\", metadata = EXCLUDED.metadata, \
     embedding = EXCLUDED.embedding, tsv = EXCLUDED.tsv, n_terms = EXCLUDED.n_terms, updated_at = now() \
     WHERE (t.\"text\", t.metadata, t.embedding) IS DISTINCT FROM (EXCLUDED.\"text\", EXCLUDED.metadata, EXCLUDED.embedding) \
     RETURNING (xmax = 0) AS inserted) SELECT count(*) FILTER (WHERE inserted) AS inserted FROM written";

/// Why an upsert did not happen.
pub(crate) enum UpsertFailure {
    /// The collection is not registered.
    Missing,
    /// The batch was refused by core's checks.
    Invalid(StorageError),
    /// The database failed.
    Database(sqlx::Error),
}

impl From<sqlx::Error> for UpsertFailure {
    fn from(error: sqlx::Error) -> Self {
        UpsertFailure::Database(error)
    }
}

pub(super) fn space_from_row(row: &sqlx::postgres::PgRow) -> Result<Option<EmbeddingSpace>, sqlx::Error> {
    let dimensions: Option<i32> = row.try_get("dimensions")?;
    let Some(dimensions) = dimensions.and_then(|d| u32::try_from(d).ok()) else { return Ok(None) };
    let metric: Option<String> = row.try_get("metric")?;
    Ok(Some(EmbeddingSpace {
        provider: row.try_get("provider")?,
        model: row.try_get("model")?,
        dimensions,
        metric: metric.and_then(|m| m.parse::<Metric>().ok()).unwrap_or_default(),
    }))
}

/// Writes a batch atomically. `validate` runs core's checks against the embedding space read under a
/// share lock in the same transaction, so a concurrent reset cannot slip between check and write.
/// `index_deferred`: a bulk load of this store set the HNSW index aside (`ops/bulk.rs`); leave it so.
pub(crate) async fn upsert(
    pool: &PgPool,
    table: &ChunkTable,
    hnsw: HnswParams,
    index_deferred: bool,
    collection: &CollectionName,
    chunks: Vec<Chunk>,
    validate: impl FnOnce(Option<&EmbeddingSpace>, Vec<Chunk>) -> Result<ValidatedBatch, StorageError>,
) -> Result<UpsertSummary, UpsertFailure> {
    let mut txn = pool.begin().await?;
    let Some(row) = sqlx::query(REGISTRY_ROW).bind(collection.as_str()).fetch_optional(&mut *txn).await? else {
        return Err(UpsertFailure::Missing);
    };
    let space = space_from_row(&row)?;
    let language: String = row.try_get("language")?;
    let language = text_language(&language);
    let batch = validate(space.as_ref(), chunks).map_err(UpsertFailure::Invalid)?;
    let n_chunks = batch.chunks.len() as u64;
    if n_chunks == 0 {
        return Ok(UpsertSummary { duplicates_in_batch: batch.duplicates_in_batch, ..UpsertSummary::default() });
    }
    let target = format!(
        "WITH written AS (INSERT INTO {} AS t (id, \"text\", metadata, embedding, tsv, n_terms) ",
        table.qualified()
    );
    let inserted: i64 = if batch.chunks.len() >= COPY_THRESHOLD {
        let rebuild = match space.as_ref().map(VectorLayout::new) {
            Some(layout) if !index_deferred && batch.chunks.iter().any(|c| c.embedding.is_some()) => {
                let sample = format!("SELECT count(*) FROM (SELECT 1 FROM {} LIMIT $1) AS existing", table.qualified());
                let limit = i64::try_from(batch.chunks.len() + 1).unwrap_or(i64::MAX);
                let existing: i64 =
                    sqlx::query_scalar(sqlx::AssertSqlSafe(sample)).bind(limit).fetch_one(&mut *txn).await?;
                (usize::try_from(existing).unwrap_or(usize::MAX) <= batch.chunks.len()).then_some(layout)
            }
            _ => None,
        };
        if rebuild.is_some() {
            sqlx::query(sqlx::AssertSqlSafe(drop_vector_index_ddl(table))).execute(&mut *txn).await?;
        }
        copy_to_staging(&mut txn, &batch.chunks, language).await?;
        let sql =
            format!("{target}SELECT id, \"text\", metadata, embedding, tsv, n_terms FROM {STAGING_TABLE}{CONFLICT}");
        let inserted = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *txn).await?;
        if let Some(layout) = rebuild {
            build_vector_index(&mut txn, table, layout, hnsw).await?;
        }
        inserted
    } else {
        let n = batch.chunks.len();
        let (mut ids, mut texts, mut metadata, mut embeddings) =
            (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut tsvs, mut n_terms) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for chunk in batch.chunks {
            let keyword = KeywordColumns::new(&chunk.text, language);
            tsvs.push(keyword.literal());
            n_terms.push(keyword.n_terms);
            ids.push(chunk.id);
            texts.push(chunk.text);
            metadata.push(chunk.metadata.to_value());
            embeddings.push(chunk.embedding.map(|e| pgvector::Vector::from(e.into_vec())));
        }
        let sql = format!(
            "{target}SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::vector[], $5::text[]::tsvector[], \
             $6::int4[]){CONFLICT}"
        );
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(ids)
            .bind(texts)
            .bind(metadata)
            .bind(embeddings)
            .bind(tsvs)
            .bind(n_terms)
            .fetch_one(&mut *txn)
            .await?
    };
    txn.commit().await?;
    // A large upsert leaves its indexes query-ready, as a bulk load does when it finishes; a small one folds
    // the keyword statistics only once they have piled up.
    let mut conn = pool.acquire().await?;
    if n_chunks >= COPY_THRESHOLD as u64 && !index_deferred {
        make_query_ready(&mut conn, table).await?;
    } else {
        compact_keyword_stats(&mut conn, table, STATS_ROWS_BEFORE_COMPACTION).await?;
    }
    let inserted = u64::try_from(inserted).unwrap_or(0).min(n_chunks);
    Ok(UpsertSummary { inserted, updated: n_chunks - inserted, duplicates_in_batch: batch.duplicates_in_batch })
}
