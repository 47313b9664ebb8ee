//! The results of every command but search: their `--json` shapes and their human text.

use std::io::{self, Write};
use std::path::PathBuf;

use serde::Serialize;
use serde_json::{Map, Value};
use storage_core::transfer::{CopiedCollection, IngestSummary};
use storage_core::views::{Collections, Count, Deleted, StoreStatus};
use storage_core::{EmbeddingSpace, MigrationInfo, StoredChunk};

use super::table::{Align, Table, key_values};
use super::{Report, one_line};

fn space_text(space: Option<&EmbeddingSpace>) -> String {
    space.map_or_else(|| "none (keyword only)".to_owned(), EmbeddingSpace::describe)
}

/// `init`: what the collection looks like now.
#[derive(Debug, Serialize)]
pub(crate) struct InitReport {
    pub(crate) backend: String,
    pub(crate) location: String,
    pub(crate) collection: String,
    pub(crate) embedding: Option<EmbeddingSpace>,
    pub(crate) count: u64,
}

impl Report for InitReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "initialized collection `{}` on {} ({})", self.collection, self.backend, self.location)?;
        let embedding = space_text(self.embedding.as_ref());
        key_values(out, &[("embedding", Some(embedding)), ("chunks", Some(self.count.to_string()))])
    }
}

/// `ingest` and `import`: the summary of docs/design.md (core's `transfer::IngestSummary`).
impl Report for IngestSummary {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "ingested {} rows in {} batch(es): {} inserted, {} updated, {} skipped, {} duplicate id(s) merged \
             ({:.2} s, {:.0} rows/s)",
            self.ingested,
            self.batches,
            self.inserted,
            self.updated,
            self.skipped,
            self.duplicates_in_batch,
            self.seconds,
            self.rows_per_sec
        )
    }
}

/// `get`: the stored chunk, embedding included (the view `GET /collections/{c}/documents/{id}` returns too).
impl Report for StoredChunk {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let chunk = self;
        let embedding = match &chunk.embedding {
            Some(embedding) => {
                let head: Vec<String> = embedding.as_slice().iter().take(4).map(|v| format!("{v:.4}")).collect();
                format!("{} dimensions [{}, …]", embedding.dimensions(), head.join(", "))
            }
            None => "none".to_owned(),
        };
        key_values(
            out,
            &[
                ("id", Some(chunk.id.clone())),
                ("metadata", Some(Value::Object(chunk.metadata.as_map().clone()).to_string())),
                ("embedding", Some(embedding)),
                ("created", Some(chunk.created_at.to_rfc3339())),
                ("updated", Some(chunk.updated_at.to_rfc3339())),
            ],
        )?;
        writeln!(out, "\n{}", chunk.text)
    }
}

/// `count`: `{"count"}`.
impl Report for Count {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "{}", self.count)
    }
}

/// `delete`: how many chunks went.
impl Report for Deleted {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "deleted {} chunk(s)", self.deleted)
    }
}

/// `reset`: the collection emptied.
#[derive(Debug, Serialize)]
pub(crate) struct ResetReport {
    pub(crate) collection: String,
    pub(crate) deleted: u64,
}

impl Report for ResetReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "reset collection `{}`: {} chunk(s) deleted, embedding space forgotten",
            self.collection, self.deleted
        )
    }
}

/// `status`: the keys of docs/design.md (`backend`, `initialized`, `count`, `embedding`, `pool`) and more: the
/// store's state as `GET /health/status` shows it too, then the selected collection's.
#[derive(Debug, Serialize)]
pub(crate) struct StatusReport {
    /// Backend, health, location, versions, every collection, total count, pool and warnings.
    #[serde(flatten)]
    pub(crate) store: StoreStatus,
    pub(crate) collection: String,
    /// Chunks in the selected collection.
    pub(crate) count: u64,
    /// Those of them that carry an embedding (the rest are found by keyword only).
    pub(crate) embedded_count: u64,
    /// The selected collection's embedding space.
    pub(crate) embedding: Option<EmbeddingSpace>,
    pub(crate) details: Map<String, Value>,
}

impl Report for StatusReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let store = &self.store;
        let mut pairs = vec![
            ("backend", Some(store.backend.clone())),
            ("location", Some(store.location.clone())),
            ("healthy", Some(store.healthy.to_string())),
            ("initialized", Some(store.initialized.to_string())),
            ("collection", Some(self.collection.clone())),
            ("count", Some(self.count.to_string())),
            ("embedded", Some(format!("{} of {}", self.embedded_count, self.count))),
            ("embedding", Some(space_text(self.embedding.as_ref()))),
            ("collections", Some(store.collections.len().to_string())),
            ("total count", Some(store.total_count.to_string())),
        ];
        pairs.extend(store.versions.iter().map(|(name, version)| ("version", Some(format!("{name} {version}")))));
        pairs.push((
            "pool",
            store.pool.as_ref().map(|pool| {
                format!(
                    "{}: size {}, checked in {}, checked out {}, overflow {}, total {} (max {})",
                    pool.status,
                    pool.pool_size,
                    pool.checked_in,
                    pool.checked_out,
                    pool.overflow,
                    pool.total,
                    pool.max_connections
                )
            }),
        ));
        pairs.extend(store.warnings.iter().map(|warning| ("warning", Some(warning.clone()))));
        key_values(out, &pairs)
    }
}

/// `collections list`.
impl Report for Collections {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        Table::of(
            &self.collections,
            &[
                ("name", Align::Left, |info| info.name.to_string()),
                ("count", Align::Right, |info| info.count.to_string()),
                ("embedding", Align::Left, |info| space_text(info.embedding_space.as_ref())),
                ("bm25", Align::Left, |info| format!("k1 {}, b {}", info.bm25.k1, info.bm25.b)),
            ],
        )
        .write_or(out, "no collections (run `brainstore init`)")
    }
}

/// `migrate status|up|down`.
#[derive(Debug, Serialize)]
pub(crate) struct MigrationsReport {
    /// `status`, `up` or `down`.
    pub(crate) action: &'static str,
    /// Every migration (status), or the ones applied or reverted now (up, down).
    pub(crate) migrations: Vec<MigrationInfo>,
}

impl Report for MigrationsReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        match self.action {
            "status" if self.migrations.is_empty() => return writeln!(out, "no migrations"),
            "status" => {}
            _ if self.migrations.is_empty() => return writeln!(out, "nothing to do: the schema is already there"),
            "up" => writeln!(out, "applied {} migration(s):", self.migrations.len())?,
            _ => writeln!(out, "reverted {} migration(s):", self.migrations.len())?,
        }
        Table::of(
            &self.migrations,
            &[
                ("version", Align::Right, |migration| migration.version.to_string()),
                ("applied", Align::Left, |migration| if migration.applied { "yes" } else { "no" }.to_owned()),
                ("name", Align::Left, |migration| migration.name.clone()),
            ],
        )
        .write(out)
    }
}

/// `export --out FILE`: what was written (the JSON lines themselves go to the file).
#[derive(Debug, Serialize)]
pub(crate) struct ExportReport {
    pub(crate) out: PathBuf,
    pub(crate) collections: u64,
    pub(crate) chunks: u64,
}

impl Report for ExportReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "exported {} chunk(s) from {} collection(s) to {}",
            self.chunks,
            self.collections,
            self.out.display()
        )
    }
}

/// `import`: per collection, and the totals.
#[derive(Debug, Serialize)]
pub(crate) struct ImportReport {
    pub(crate) collections: Vec<String>,
    #[serde(flatten)]
    pub(crate) summary: IngestSummary,
}

impl Report for ImportReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "imported collection(s): {}", self.collections.join(", "))?;
        self.summary.human(out)
    }
}

/// `copy`: per collection, and the verification.
#[derive(Debug, Serialize)]
pub(crate) struct CopyReport {
    pub(crate) target: String,
    pub(crate) collections: Vec<CopiedCollection>,
    pub(crate) seconds: f64,
}

impl Report for CopyReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "copied {} collection(s) to {} in {:.2} s", self.collections.len(), self.target, self.seconds)?;
        Table::of(
            &self.collections,
            &[
                ("collection", Align::Left, |c| c.name.clone()),
                ("source", Align::Right, |c| c.source_count.to_string()),
                ("target", Align::Right, |c| c.target_count.to_string()),
                ("copied", Align::Right, |c| c.copied.to_string()),
                ("skipped", Align::Right, |c| c.skipped.to_string()),
                ("verified", Align::Right, |c| c.verified.to_string()),
            ],
        )
        .write(out)
    }
}

/// `compose`: the files written and what to run next.
#[cfg(feature = "postgres")]
impl Report for crate::factory::compose::ComposeProject {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "wrote {}", self.compose_file.display())?;
        writeln!(out, "wrote {} (mode 0600: it holds the database password)", self.env_file.display())?;
        writeln!(
            out,
            "PostgreSQL will listen on {}:{} (POSTGRES_BIND in {})",
            self.bind,
            self.port,
            self.env_file.display()
        )?;
        writeln!(out, "next:")?;
        writeln!(out, "  docker compose --env-file .env.brainstore up -d")?;
        writeln!(out, "  brainstore --backend postgres status")
    }
}

/// One effective configuration value and where it came from.
#[derive(Debug, Serialize)]
pub(crate) struct ConfigRow {
    pub(crate) key: String,
    pub(crate) value: Value,
    pub(crate) source: String,
}

/// `config show`: the effective configuration, secrets redacted.
#[derive(Debug, Serialize)]
pub(crate) struct ConfigReport {
    /// The configuration as a tree, as a YAML file would hold it.
    pub(crate) config: Value,
    /// Every leaf key, its value and its source.
    pub(crate) values: Vec<ConfigRow>,
}

impl Report for ConfigReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let value = |row: &&ConfigRow| match &row.value {
            Value::String(text) => one_line(text, 60),
            other => one_line(&other.to_string(), 60),
        };
        Table::of(
            &self.values,
            &[
                ("key", Align::Left, |row| row.key.clone()),
                ("value", Align::Left, value),
                ("source", Align::Left, |row| row.source.clone()),
            ],
        )
        .write(out)
    }
}
