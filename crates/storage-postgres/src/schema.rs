//! Per-collection DDL through sea-query: the chunk table with its `vector(N)` column, the weighted
//! `tsvector`, the HNSW index (a custom index type with the metric's operator class, `halfvec` above 2000
//! dimensions) and the GIN indexes.
//!
//! The only dynamic identifiers are a validated `CollectionName` (table `bs_chunks_<name>`) and the
//! validated schema from the config. Two values are formatted into DDL text, because PostgreSQL takes no
//! parameters in DDL: integers (dimensions, HNSW `m` and `ef_construction`) and the collection's
//! text-search configuration, which is checked to be a plain lowercase name that exists in `pg_ts_config`.
//!
//! # Keyword terms and BM25 statistics
//!
//! `tsv` holds core's index terms of the text (`storage_core::analyze`) with their positions, written by
//! the client (`ops/keyword_sql.rs` builds the literal), and `n_terms` the text's length in terms: the same
//! terms the embedded backend indexes, so BM25 ranks alike. `bs_keyword_stats` holds each chunk table's
//! chunk count and total length as append-only deltas, written by statement triggers from the transition
//! tables (exact under concurrent writers, and no writer waits on a counter row), summed by queries and
//! compacted after bulk loads and large upserts. Before migration 5, `tsv` was generated from the text and
//! the metadata title/summary with PostgreSQL's own parser ([`legacy_tsv_expression`], for `down`).

use sea_orm::sea_query::{ColumnDef, Expr, Index, IndexType, PostgresQueryBuilder, Table, TableRef};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use storage_core::{CollectionName, EmbeddingSpace, Metric, StorageError};

use crate::config::is_plain_identifier;
use crate::connection::PgvectorVersion;

/// Above this many dimensions the HNSW index is built over `embedding::halfvec(N)` (pgvector's `vector`
/// HNSW limit); queries use the same expression.
pub(crate) const MAX_VECTOR_INDEX_DIMENSIONS: u32 = 2000;

/// pgvector's HNSW limit for `halfvec`.
pub(crate) const MAX_HALFVEC_INDEX_DIMENSIONS: u32 = 4000;

/// The metadata keys that feed weight A of the keyword index, in order.
pub const TITLE_KEYS: [&str; 3] = ["title", "file_name", "filename"];

/// The metadata keys that feed weight B of the keyword index, in order.
pub const SUMMARY_KEYS: [&str; 2] = ["summary", "section_summary"];

/// The chunk table of one collection: `"<schema>"."bs_chunks_<collection>"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ChunkTable {
    schema: String,
    table: String,
}

impl ChunkTable {
    /// The table of `collection` in `schema` (a validated identifier).
    pub(crate) fn new(schema: &str, collection: &CollectionName) -> Self {
        debug_assert!(is_plain_identifier(schema, 63));
        ChunkTable { schema: schema.to_owned(), table: format!("bs_chunks_{}", collection.as_str()) }
    }

    /// `"schema"."table"`, for SQL text. Both parts are validated lowercase identifiers.
    pub(crate) fn qualified(&self) -> String {
        format!("\"{}\".\"{}\"", self.schema, self.table)
    }

    /// The table's own name (`bs_chunks_<collection>`), the key of its keyword statistics.
    pub(crate) fn name(&self) -> &str {
        &self.table
    }

    fn table_ref(&self) -> TableRef {
        (self.schema.clone(), self.table.clone()).into()
    }

    fn index_name(&self, suffix: &str) -> String {
        format!("{}_{suffix}", self.table)
    }

    /// The GIN indexes (keyword and metadata), as `to_regclass` takes them.
    pub(crate) fn gin_indexes_qualified(&self) -> [String; 2] {
        ["tsv", "metadata"].map(|suffix| format!("\"{}\".\"{}\"", self.schema, self.index_name(suffix)))
    }

    /// `"schema"."<table>_embedding"`, the HNSW index, as `to_regclass` takes it.
    pub(crate) fn vector_index_qualified(&self) -> String {
        format!("\"{}\".\"{}\"", self.schema, self.index_name("embedding"))
    }
}

/// How the vector column is searched: the operator, and the expression the HNSW index covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct VectorLayout {
    /// The collection's dimensions.
    pub(crate) dimensions: u32,
    /// The collection's metric.
    pub(crate) metric: Metric,
}

impl VectorLayout {
    pub(crate) fn new(space: &EmbeddingSpace) -> Self {
        VectorLayout { dimensions: space.dimensions, metric: space.metric }
    }

    /// Whether the index (and so the ANN query) goes through `halfvec(N)`.
    pub(crate) fn uses_halfvec(self) -> bool {
        self.dimensions > MAX_VECTOR_INDEX_DIMENSIONS
    }

    /// pgvector's distance operator for the metric.
    pub(crate) fn operator(self) -> &'static str {
        match self.metric {
            Metric::Cosine => "<=>",
            Metric::L2 => "<->",
            Metric::InnerProduct => "<#>",
        }
    }

    /// The HNSW operator class of the metric, on `vector` or `halfvec` as the dimensions require.
    pub(crate) fn operator_class(self) -> &'static str {
        match (self.metric, self.uses_halfvec()) {
            (Metric::Cosine, false) => "vector_cosine_ops",
            (Metric::L2, false) => "vector_l2_ops",
            (Metric::InnerProduct, false) => "vector_ip_ops",
            (Metric::Cosine, true) => "halfvec_cosine_ops",
            (Metric::L2, true) => "halfvec_l2_ops",
            (Metric::InnerProduct, true) => "halfvec_ip_ops",
        }
    }

    /// The indexed expression: `embedding`, or `(embedding::halfvec(N))`.
    pub(crate) fn indexed_column(self) -> String {
        if self.uses_halfvec() { format!("(embedding::halfvec({}))", self.dimensions) } else { "embedding".to_owned() }
    }

    /// The cast applied to the query vector so it matches [`VectorLayout::indexed_column`].
    pub(crate) fn query_cast(self) -> String {
        if self.uses_halfvec() {
            format!("::vector({n})::halfvec({n})", n = self.dimensions)
        } else {
            format!("::vector({})", self.dimensions)
        }
    }

    /// Checks that the installed pgvector can index this many dimensions.
    pub(crate) fn check_supported(self, pgvector: Option<PgvectorVersion>) -> crate::Result<(), StorageError> {
        let unsupported = |operation: String| Err(StorageError::Unsupported { operation, backend: "postgres".into() });
        match pgvector {
            Some(version) if !version.has_hnsw() => unsupported(format!(
                "vector search with pgvector {version} (HNSW indexes need pgvector ≥ 0.5; run `ALTER EXTENSION vector UPDATE;`)"
            )),
            Some(version) if self.uses_halfvec() && !version.has_halfvec() => unsupported(format!(
                "a {}-dimension embedding space with pgvector {version}: HNSW indexes stop at {MAX_VECTOR_INDEX_DIMENSIONS} \
                 dimensions there; pgvector ≥ 0.7 indexes up to {MAX_HALFVEC_INDEX_DIMENSIONS} through halfvec \
                 (`ALTER EXTENSION vector UPDATE;`), or use a model with at most {MAX_VECTOR_INDEX_DIMENSIONS} dimensions",
                self.dimensions
            )),
            _ if self.dimensions > MAX_HALFVEC_INDEX_DIMENSIONS => unsupported(format!(
                "a {}-dimension embedding space: pgvector's HNSW indexes stop at {MAX_HALFVEC_INDEX_DIMENSIONS} dimensions \
                 (halfvec); use a model, or a `dimensions` setting, of at most {MAX_HALFVEC_INDEX_DIMENSIONS}",
                self.dimensions
            )),
            _ => Ok(()),
        }
    }
}

/// HNSW build parameters from the config.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HnswParams {
    pub(crate) m: u32,
    pub(crate) ef_construction: u32,
}

/// The generated `tsv` of chunk tables before migration 5 (its `down` restores it).
pub(crate) fn legacy_tsv_expression(language: &str) -> Result<String, DbErr> {
    if !is_plain_identifier(language, 63) {
        return Err(DbErr::Custom(format!(
            "text-search configuration `{}` is not a plain name",
            language.escape_debug()
        )));
    }
    let keys = |keys: &[&str]| {
        keys.iter().map(|key| format!("coalesce(metadata ->> '{key}', '')")).collect::<Vec<_>>().join(" || ' ' || ")
    };
    Ok(format!(
        "setweight(to_tsvector('{language}'::regconfig, {title}), 'A') || \
         setweight(to_tsvector('{language}'::regconfig, {summary}), 'B') || \
         setweight(to_tsvector('{language}'::regconfig, text), 'C')",
        title = keys(&TITLE_KEYS),
        summary = keys(&SUMMARY_KEYS),
    ))
}

/// Creates the chunk table of a collection and its keyword and metadata indexes; with a space, also the
/// typed vector column and its HNSW index.
pub(crate) async fn create_chunk_table<C: ConnectionTrait>(
    db: &C,
    table: &ChunkTable,
    layout: Option<VectorLayout>,
    hnsw: HnswParams,
) -> Result<(), DbErr> {
    let mut embedding = ColumnDef::new("embedding");
    match layout {
        Some(layout) => embedding.vector(Some(layout.dimensions)),
        None => embedding.vector(None),
    };
    let create = Table::create()
        .table(table.table_ref())
        .if_not_exists()
        .col(ColumnDef::new("id").text().not_null().extra("COLLATE \"C\"").primary_key())
        .col(ColumnDef::new("text").text().not_null())
        .col(ColumnDef::new("metadata").json_binary().not_null().default(Expr::cust("'{}'::jsonb")))
        .col(embedding)
        .col(ColumnDef::new("tsv").custom("tsvector").not_null())
        .col(ColumnDef::new("n_terms").integer().not_null().default(0))
        .col(ColumnDef::new("created_at").timestamp_with_time_zone().not_null().default(Expr::cust("now()")))
        .col(ColumnDef::new("updated_at").timestamp_with_time_zone().not_null().default(Expr::cust("now()")))
        .to_owned();
    db.execute(&create).await?;
    set_keyword_layout(db, table).await?;
    for (suffix, column) in [("tsv", "tsv"), ("metadata", "metadata")] {
        let index = Index::create()
            .if_not_exists()
            .name(table.index_name(suffix))
            .table(table.table_ref())
            .col(column)
            .index_type(IndexType::Custom("gin".into()))
            .to_owned();
        db.execute(&index).await?;
    }
    if let Some(layout) = layout {
        set_vector_storage(db, table, layout).await?;
        create_vector_index(db, table, layout, hnsw).await?;
    }
    Ok(())
}

/// Keeps vectors of up to this many dimensions inline (`STORAGE PLAIN`); larger ones would not fit a page.
pub(crate) const MAX_PLAIN_STORAGE_DIMENSIONS: u32 = 1024;

/// Keeps small vectors inline, never compressed or moved out: exact scans read them 3.4× faster
/// (research/pg-limits.md). A 4 KiB vector plus the row's other inline fields stays under a page.
async fn set_vector_storage<C: ConnectionTrait>(db: &C, table: &ChunkTable, layout: VectorLayout) -> Result<(), DbErr> {
    if layout.dimensions > MAX_PLAIN_STORAGE_DIMENSIONS {
        return Ok(());
    }
    execute_ddl(db, format!("ALTER TABLE {} ALTER COLUMN embedding SET STORAGE PLAIN", table.qualified())).await
}

/// The HNSW index over the vector column (or its `halfvec` expression), with the metric's operator class.
pub(crate) async fn create_vector_index<C: ConnectionTrait>(
    db: &C,
    table: &ChunkTable,
    layout: VectorLayout,
    hnsw: HnswParams,
) -> Result<(), DbErr> {
    execute_ddl(db, vector_index_ddl(table, layout, hnsw)).await
}

/// `DROP INDEX` of a collection's HNSW index, for a bulk load that rebuilds it (see `ops/upsert.rs`).
pub(crate) fn drop_vector_index_ddl(table: &ChunkTable) -> String {
    Index::drop()
        .if_exists()
        .name(table.index_name("embedding"))
        .table(table.table_ref())
        .to_owned()
        .to_string(PostgresQueryBuilder)
}

/// `CREATE INDEX … USING hnsw …` of a collection.
pub(crate) fn vector_index_ddl(table: &ChunkTable, layout: VectorLayout, hnsw: HnswParams) -> String {
    let column = if layout.uses_halfvec() {
        sea_orm::sea_query::IndexColumn::from(Expr::cust(layout.indexed_column()))
    } else {
        sea_orm::sea_query::IndexColumn::from("embedding")
    };
    let index = Index::create()
        .if_not_exists()
        .name(table.index_name("embedding"))
        .table(table.table_ref())
        .col(column.with_operator_class(layout.operator_class()))
        .index_type(IndexType::Custom("hnsw".into()))
        .to_owned();
    // sea-query has no storage parameters on CREATE INDEX: append them (two validated integers).
    format!(
        "{} WITH (m = {}, ef_construction = {})",
        index.to_string(PostgresQueryBuilder),
        hnsw.m,
        hnsw.ef_construction
    )
}

/// Types the vector column of a collection that had no embedding space (every embedding is NULL).
pub(crate) async fn set_vector_column<C: ConnectionTrait>(
    db: &C,
    table: &ChunkTable,
    layout: VectorLayout,
    hnsw: HnswParams,
) -> Result<(), DbErr> {
    let alter = format!(
        "ALTER TABLE {} ALTER COLUMN embedding TYPE vector({n}) USING embedding::vector({n})",
        table.qualified(),
        n = layout.dimensions
    );
    execute_ddl(db, alter).await?;
    set_vector_storage(db, table, layout).await?;
    create_vector_index(db, table, layout, hnsw).await
}

/// The DDL that gives a collection's vector column the type of another space, every value NULL (a
/// re-embedding's switch fills it from the staged vectors), with the storage [`set_vector_storage`] picks:
/// `PLAIN` up to [`MAX_PLAIN_STORAGE_DIMENSIONS`], else pgvector's own default, `EXTERNAL`.
pub(crate) fn retype_vector_column_ddl(table: &ChunkTable, layout: VectorLayout) -> [String; 2] {
    let qualified = table.qualified();
    let storage = if layout.dimensions > MAX_PLAIN_STORAGE_DIMENSIONS { "EXTERNAL" } else { "PLAIN" };
    [
        format!(
            "ALTER TABLE {qualified} ALTER COLUMN embedding TYPE vector({n}) USING NULL::vector({n})",
            n = layout.dimensions
        ),
        format!("ALTER TABLE {qualified} ALTER COLUMN embedding SET STORAGE {storage}"),
    ]
}

/// Drops a collection's chunk table (its statistics stay: [`forget_keyword_stats`]).
pub(crate) async fn drop_chunk_table<C: ConnectionTrait>(db: &C, table: &ChunkTable) -> Result<(), DbErr> {
    let drop = Table::drop().table(table.table_ref()).if_exists().to_owned();
    db.execute(&drop).await.map(drop_result)
}

/// Forgets the keyword statistics of a dropped chunk table, so a table created under the same name starts
/// from zero. (Migrations that drop chunk tables need not: migration 5's `down` drops the statistics.)
pub(crate) async fn forget_keyword_stats<C: ConnectionTrait>(db: &C, table: &ChunkTable) -> Result<(), DbErr> {
    let forget = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "DELETE FROM bs_keyword_stats WHERE chunk_table = $1",
        [table.name().into()],
    );
    db.execute_raw(forget).await.map(drop_result)
}

/// The keyword statistics table and the trigger function that feeds it (migration 5 creates them).
pub(crate) const KEYWORD_STATS_DDL: [&str; 3] = [
    "CREATE TABLE IF NOT EXISTS bs_keyword_stats (chunk_table text NOT NULL, chunks bigint NOT NULL, terms bigint NOT NULL)",
    "CREATE INDEX IF NOT EXISTS bs_keyword_stats_chunk_table ON bs_keyword_stats (chunk_table)",
    "CREATE OR REPLACE FUNCTION bs_keyword_stats_change() RETURNS trigger LANGUAGE plpgsql \
     SET search_path FROM CURRENT AS $$ BEGIN \
       IF TG_OP = 'INSERT' THEN \
         INSERT INTO bs_keyword_stats SELECT TG_TABLE_NAME, count(*), coalesce(sum(n_terms), 0) FROM new_rows HAVING count(*) > 0; \
       ELSIF TG_OP = 'UPDATE' THEN \
         INSERT INTO bs_keyword_stats SELECT TG_TABLE_NAME, 0, d.terms FROM (SELECT \
           (SELECT coalesce(sum(n_terms), 0) FROM new_rows) - (SELECT coalesce(sum(n_terms), 0) FROM old_rows) AS terms) AS d \
           WHERE d.terms <> 0; \
       ELSE \
         INSERT INTO bs_keyword_stats SELECT TG_TABLE_NAME, -count(*), -coalesce(sum(n_terms), 0) FROM old_rows HAVING count(*) > 0; \
       END IF; \
       RETURN NULL; END $$",
];

/// Migration 5 on an existing chunk table: `tsv` stops being generated (the client writes core's terms,
/// backfilled by the migration) and `n_terms` appears.
pub(crate) async fn adopt_client_keyword_columns<C: ConnectionTrait>(db: &C, table: &ChunkTable) -> Result<(), DbErr> {
    let qualified = table.qualified();
    execute_ddl(db, format!("ALTER TABLE {qualified} ALTER COLUMN tsv DROP EXPRESSION")).await?;
    execute_ddl(db, format!("ALTER TABLE {qualified} ADD COLUMN IF NOT EXISTS n_terms integer NOT NULL DEFAULT 0"))
        .await
}

/// Migration 5's `down`: the generated `tsv` of before, its GIN index, and no statistics.
pub(crate) async fn restore_legacy_keyword_columns<C: ConnectionTrait>(
    db: &C,
    table: &ChunkTable,
    language: &str,
) -> Result<(), DbErr> {
    let qualified = table.qualified();
    for name in ["bs_keyword_insert", "bs_keyword_update", "bs_keyword_delete"] {
        execute_ddl(db, format!("DROP TRIGGER IF EXISTS {name} ON {qualified}")).await?;
    }
    execute_ddl(db, format!("ALTER TABLE {qualified} RESET (toast_tuple_target)")).await?;
    execute_ddl(db, format!("ALTER TABLE {qualified} DROP COLUMN IF EXISTS n_terms, DROP COLUMN IF EXISTS tsv"))
        .await?;
    let expression = legacy_tsv_expression(language)?;
    execute_ddl(
        db,
        format!("ALTER TABLE {qualified} ADD COLUMN tsv tsvector NOT NULL GENERATED ALWAYS AS ({expression}) STORED"),
    )
    .await?;
    let index = Index::create()
        .if_not_exists()
        .name(table.index_name("tsv"))
        .table(table.table_ref())
        .col("tsv")
        .index_type(IndexType::Custom("gin".into()))
        .to_owned();
    db.execute(&index).await.map(drop_result)
}

/// Keeps a chunk row whole in the heap, and its statistics counted.
///
/// `toast_tuple_target` = 8160 (the most a page allows): with the embedding `STORAGE PLAIN`, a row passes the
/// default 2 KiB target, and PostgreSQL would compress or move `tsv` out of line, so every keyword match
/// read it from the TOAST table (research/pg-limits.md; issue 16 measured 210 buffers per keyword query vs 39
/// inline). Rows stay larger in the heap, which costs exact vector scans a little; keyword and hybrid
/// queries read a row once.
pub(crate) async fn set_keyword_layout<C: ConnectionTrait>(db: &C, table: &ChunkTable) -> Result<(), DbErr> {
    let qualified = table.qualified();
    execute_ddl(db, format!("ALTER TABLE {qualified} SET (toast_tuple_target = 8160)")).await?;
    for (name, event, transition) in [
        ("bs_keyword_insert", "INSERT", "NEW TABLE AS new_rows"),
        ("bs_keyword_update", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("bs_keyword_delete", "DELETE", "OLD TABLE AS old_rows"),
    ] {
        execute_ddl(
            db,
            format!(
                "CREATE OR REPLACE TRIGGER {name} AFTER {event} ON {qualified} REFERENCING {transition} \
                 FOR EACH STATEMENT EXECUTE FUNCTION bs_keyword_stats_change()"
            ),
        )
        .await?;
    }
    Ok(())
}

fn drop_result<T>(_: T) {}

/// Runs DDL text assembled above from static fragments, validated identifiers and integers.
async fn execute_ddl<C: ConnectionTrait>(db: &C, sql: String) -> Result<(), DbErr> {
    // Static DDL: every piece of `sql` is a literal of this file, a validated identifier or an integer.
    #[allow(clippy::disallowed_methods)]
    let statement = Statement::from_string(DbBackend::Postgres, sql);
    db.execute_raw(statement).await.map(drop_result)
}
