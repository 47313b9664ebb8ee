//! The export format, version [`EXPORT_FORMAT_VERSION`]: JSON lines, a header per collection (its name, embedding space and count) followed by its chunks in id order, embeddings and timestamps included.

use std::io::Write;

use serde::{Deserialize, Serialize};

use super::{Progress, TransferError};
use crate::collection::{CollectionInfo, CollectionName};
use crate::document::{Chunk, Metadata};
use crate::embedding::{Embedding, EmbeddingSpace};
use crate::error::StorageError;
use crate::store::{DocumentStore, ListRequest};

/// The export format's version, written in every header; an import refuses any other.
pub const EXPORT_FORMAT_VERSION: u64 = 1;

/// Chunks read per page.
const PAGE: usize = 1_000;

/// The line that opens a collection in an export.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportHeader {
    /// The format's version ([`EXPORT_FORMAT_VERSION`]).
    #[serde(default = "current_version")]
    pub brainstore_export: u64,
    /// The collection.
    pub collection: CollectionName,
    /// Its embedding space, if it records one.
    #[serde(default)]
    pub embedding_space: Option<EmbeddingSpace>,
    /// Chunks that follow (as exported; informative).
    #[serde(default)]
    pub count: u64,
}

fn current_version() -> u64 {
    EXPORT_FORMAT_VERSION
}

impl ExportHeader {
    /// Checks the version and the embedding space.
    pub fn check(&self) -> crate::Result<()> {
        if self.brainstore_export != EXPORT_FORMAT_VERSION {
            return Err(StorageError::invalid(
                "brainstore_export",
                format!(
                    "format version {} is not supported; this brainstore reads version {EXPORT_FORMAT_VERSION}",
                    self.brainstore_export
                ),
            ));
        }
        if let Some(space) = &self.embedding_space {
            space.validate().map_err(|e| e.within("embedding_space"))?;
        }
        Ok(())
    }
}

/// A chunk line of an export: a chunk and the times it was written with, which an import ignores (the
/// target sets its own).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportedChunk {
    id: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    metadata: Metadata,
    #[serde(default)]
    embedding: Option<Embedding>,
    #[serde(default)]
    created_at: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    updated_at: Option<serde::de::IgnoredAny>,
}

impl ExportedChunk {
    /// The chunk to upsert.
    pub(crate) fn into_chunk(self) -> Chunk {
        let _written_at = (self.created_at, self.updated_at);
        Chunk { id: self.id, text: self.text.unwrap_or_default(), metadata: self.metadata, embedding: self.embedding }
    }
}

/// Writes every collection of `collections` to `out` as an export; returns the number of chunks written.
pub async fn export(
    store: &dyn DocumentStore,
    collections: &[CollectionInfo],
    out: &mut dyn Write,
    progress: &dyn Progress,
) -> Result<u64, TransferError> {
    let mut written = 0u64;
    for info in collections {
        let header = ExportHeader {
            brainstore_export: EXPORT_FORMAT_VERSION,
            collection: info.name.clone(),
            embedding_space: info.embedding_space.clone(),
            count: info.count,
        };
        write_line(out, &header)?;
        let mut request = ListRequest::first(PAGE);
        loop {
            let page = store.list(&info.name, &request).await?;
            let Some(last) = page.last() else { break };
            request = request.after(last.id.clone());
            let full = page.len() == PAGE;
            for chunk in &page {
                write_line(out, chunk)?;
            }
            written += page.len() as u64;
            progress.update(written, String::new());
            if !full {
                break;
            }
        }
    }
    out.flush().map_err(TransferError::Write)?;
    Ok(written)
}

fn write_line<T: Serialize>(out: &mut dyn Write, item: &T) -> Result<(), TransferError> {
    serde_json::to_writer(&mut *out, item).map_err(|e| TransferError::Write(e.into()))?;
    out.write_all(b"\n").map_err(TransferError::Write)
}
