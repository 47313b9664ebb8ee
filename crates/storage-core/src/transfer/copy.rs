//! Copy with verification: every collection, with embeddings and embedding spaces, into another store; resumable, then verified.
//!
//! Both stores list chunks in bytewise id order, so the copy walks them side by side (a merge join) and
//! writes only chunks the target lacks or holds with other content. An interrupted copy therefore resumes
//! where it stopped when run again, and a finished one is a no-op. Afterwards the counts must agree and a
//! sample of records spread over each collection must match field by field.

use std::collections::VecDeque;

use serde::Serialize;
use serde_json::Value;

use super::{Progress, TransferError, thousands};
use crate::collection::{CollectionInfo, CollectionName};
use crate::document::StoredChunk;
use crate::embedding::Embedding;
use crate::store::{DocumentStore, ListRequest};

type Result<T, E = TransferError> = std::result::Result<T, E>;

/// How far apart two embedding values may be and still count as the same record.
const EMBEDDING_TOLERANCE: f32 = 1e-6;

/// How a copy runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CopyOptions {
    /// Chunks read and written per page.
    pub batch_size: usize,
    /// Records per collection compared field by field afterwards (0: counts only).
    pub verify_sample: usize,
}

/// One collection of a copy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CopiedCollection {
    /// The collection.
    pub name: String,
    /// Chunks in the source afterwards.
    pub source_count: u64,
    /// Chunks in the target afterwards.
    pub target_count: u64,
    /// Chunks written to the target.
    pub copied: u64,
    /// Chunks already in the target with the same content (a resumed copy).
    pub skipped: u64,
    /// Records compared field by field after copying.
    pub verified: u64,
}

/// Copies `collections` of `source` into `target` (initialized first), then checks each: the target holds
/// at least the source's count, and a sample of records spread over it matches field by field.
pub async fn copy_collections(
    source: &dyn DocumentStore,
    target: &dyn DocumentStore,
    collections: &[CollectionInfo],
    options: CopyOptions,
    progress: &dyn Progress,
) -> Result<Vec<CopiedCollection>> {
    target.initialize().await?;
    let mut done = 0u64;
    let mut report = Vec::with_capacity(collections.len());
    for info in collections {
        target.create_collection(&info.name, info.embedding_space.as_ref()).await?;
        let deferred = target.begin_bulk_load(&info.name).await?;
        let copied = copy_collection(source, target, info, options, progress, &mut done).await;
        // After a failure too: what was copied gets its index.
        if deferred {
            progress.stage(format!("building the vector index of `{}` in the target", info.name));
        }
        let finished = target.finish_bulk_load(&info.name).await;
        let mut copied = copied?;
        finished?;
        copied.verified = verify(source, target, &info.name, &sample_ids(source, info, options).await?).await?;
        copied.source_count = source.count(&info.name, None).await?;
        copied.target_count = target.count(&info.name, None).await?;
        if copied.target_count < copied.source_count {
            return Err(TransferError::Verification(format!(
                "collection `{}` has {} chunks in the source but {} in the target",
                info.name, copied.source_count, copied.target_count
            )));
        }
        if copied.target_count > copied.source_count {
            progress.note(&format!(
                "collection `{}`: the target holds {} chunks the source does not (copy never deletes)",
                info.name,
                copied.target_count - copied.source_count
            ));
        }
        report.push(copied);
    }
    Ok(report)
}

/// Copies the pages of one collection that the target does not already hold identically.
async fn copy_collection(
    source: &dyn DocumentStore,
    target: &dyn DocumentStore,
    info: &CollectionInfo,
    options: CopyOptions,
    progress: &dyn Progress,
    done: &mut u64,
) -> Result<CopiedCollection> {
    let mut existing = TargetCursor::new(target, &info.name, options.batch_size);
    let mut request = ListRequest::first(options.batch_size);
    let (mut copied, mut skipped) = (0u64, 0u64);
    loop {
        let page = source.list(&info.name, &request).await?;
        let Some(last) = page.last() else { break };
        request = request.after(last.id.clone());
        let full = page.len() == options.batch_size;
        let page_len = page.len() as u64;
        let mut writes = Vec::new();
        for chunk in page {
            match existing.find(&chunk.id).await? {
                Some(stored) if same_record(stored, &chunk, 0.0) => skipped += 1,
                _ => writes.push(chunk.into_chunk()),
            }
        }
        if !writes.is_empty() {
            copied += writes.len() as u64;
            target.upsert(&info.name, writes).await?;
        }
        *done += page_len;
        progress.update(
            *done,
            format!("`{}`: {} copied, {} already there", info.name, thousands(copied), thousands(skipped)),
        );
        if !full {
            break;
        }
    }
    Ok(CopiedCollection { name: info.name.to_string(), source_count: 0, target_count: 0, copied, skipped, verified: 0 })
}

/// Ids spread evenly over the collection: every `count / sample`-th in id order.
async fn sample_ids(source: &dyn DocumentStore, info: &CollectionInfo, options: CopyOptions) -> Result<Vec<String>> {
    if options.verify_sample == 0 || info.count == 0 {
        return Ok(Vec::new());
    }
    let stride = (info.count / options.verify_sample as u64).max(1);
    let mut ids = Vec::with_capacity(options.verify_sample);
    let mut request = ListRequest::first(options.batch_size);
    let mut position = 0u64;
    while ids.len() < options.verify_sample {
        let page = source.list(&info.name, &request).await?;
        let Some(last) = page.last() else { break };
        request = request.after(last.id.clone());
        for chunk in &page {
            if position.is_multiple_of(stride) && ids.len() < options.verify_sample {
                ids.push(chunk.id.clone());
            }
            position += 1;
        }
    }
    Ok(ids)
}

/// Compares the sampled records in both stores; returns how many were checked.
async fn verify(
    source: &dyn DocumentStore,
    target: &dyn DocumentStore,
    collection: &CollectionName,
    ids: &[String],
) -> Result<u64> {
    for id in ids {
        let (Some(original), copy) = (source.get(collection, id).await?, target.get(collection, id).await?) else {
            continue; // deleted from the source meanwhile
        };
        match copy {
            Some(copy) if same_record(&copy, &original, EMBEDDING_TOLERANCE) => {}
            Some(_) => {
                return Err(TransferError::Verification(format!("chunk `{id}` of collection `{collection}` differs")));
            }
            None => {
                return Err(TransferError::Verification(format!(
                    "chunk `{id}` of collection `{collection}` is missing"
                )));
            }
        }
    }
    Ok(ids.len() as u64)
}

/// Same text, equivalent metadata (numbers compared by value) and embeddings within `tolerance`.
fn same_record(a: &StoredChunk, b: &StoredChunk, tolerance: f32) -> bool {
    a.text == b.text
        && same_json(&Value::Object(a.metadata.as_map().clone()), &Value::Object(b.metadata.as_map().clone()))
        && same_embedding(a.embedding.as_ref(), b.embedding.as_ref(), tolerance)
}

fn same_embedding(a: Option<&Embedding>, b: Option<&Embedding>, tolerance: f32) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            a.as_slice().len() == b.as_slice().len()
                && a.as_slice().iter().zip(b.as_slice()).all(|(x, y)| (x - y).abs() <= tolerance)
        }
        _ => false,
    }
}

/// JSON equality where `1` equals `1.0`, as PostgreSQL's jsonb and SQLite's JSON may spell a number
/// differently.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(xs), Value::Array(ys)) => xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same_json(x, y)),
        (Value::Object(xs), Value::Object(ys)) => {
            xs.len() == ys.len() && xs.iter().all(|(key, x)| ys.get(key).is_some_and(|y| same_json(x, y)))
        }
        _ => a == b,
    }
}

/// Walks the target's chunks in id order alongside the source's.
struct TargetCursor<'a> {
    store: &'a dyn DocumentStore,
    collection: &'a CollectionName,
    buffer: VecDeque<StoredChunk>,
    after: Option<String>,
    exhausted: bool,
    page: usize,
}

impl<'a> TargetCursor<'a> {
    fn new(store: &'a dyn DocumentStore, collection: &'a CollectionName, page: usize) -> Self {
        TargetCursor { store, collection, buffer: VecDeque::new(), after: None, exhausted: false, page }
    }

    /// The target's chunk with `id`, if any. Ids must be asked in ascending order.
    async fn find(&mut self, id: &str) -> Result<Option<&StoredChunk>> {
        loop {
            if self.buffer.is_empty() {
                if self.exhausted {
                    return Ok(None);
                }
                self.fill().await?;
                continue;
            }
            if self.buffer[0].id.as_str() < id {
                self.buffer.pop_front();
            } else {
                break;
            }
        }
        Ok(self.buffer.front().filter(|chunk| chunk.id == id))
    }

    async fn fill(&mut self) -> Result<()> {
        let request = ListRequest { after_id: self.after.clone(), limit: self.page, filter: None };
        let page = self.store.list(self.collection, &request).await?;
        self.exhausted = page.len() < self.page;
        if let Some(last) = page.last() {
            self.after = Some(last.id.clone());
        }
        self.buffer.extend(page);
        Ok(())
    }
}
