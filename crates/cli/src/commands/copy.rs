//! `brainstore copy --to SPEC`: every collection, with embeddings and embedding spaces, into another store; resumable, then verified.
//!
//! Both stores list chunks in bytewise id order, so the copy walks them side by side (a merge join) and
//! writes only chunks the target lacks or holds with other content. An interrupted copy therefore resumes
//! where it stopped when run again, and a finished one is a no-op. Afterwards the counts must agree and a
//! sample of records spread over each collection must match field by field.

use std::collections::VecDeque;
use std::time::Instant;

use serde_json::Value;
use storage_core::{CollectionInfo, CollectionName, DocumentStore, Embedding, ListRequest, StoredChunk};

use super::Context;
use crate::args::CopyArgs;
use crate::config::{AppConfig, DEFAULT_BATCH_SIZE, check_batch_size};
use crate::error::{CliError, Result};
use crate::factory::{self, StoreSpec};
use crate::output::{CopiedCollection, CopyReport, Printer};
use crate::progress::{Progress, Unit, thousands};

/// How far apart two embedding values may be and still count as the same record.
const EMBEDDING_TOLERANCE: f32 = 1e-6;

/// Validated `copy` arguments.
#[derive(Debug)]
pub(crate) struct Input {
    target: StoreSpec,
    batch_size: usize,
    verify_sample: usize,
}

/// Parses the target and refuses to copy a store onto itself.
pub(crate) fn parse(args: CopyArgs, app: &AppConfig) -> Result<Input> {
    let batch_size = args.batch_size.unwrap_or(DEFAULT_BATCH_SIZE);
    check_batch_size(batch_size).map_err(|reason| CliError::usage(format!("--batch-size: {reason}")))?;
    let target = factory::parse_target(&args.to, app)?;
    if factory::same_store(&factory::configured(app)?, &target) {
        return Err(CliError::usage(format!(
            "--to: {} is the configured store itself; choose another target",
            factory::describe(&target)
        )));
    }
    Ok(Input { target, batch_size, verify_sample: args.verify_sample })
}

/// Copies every collection, then verifies counts and a sample of records.
pub(crate) async fn run(ctx: &Context, input: Input, printer: &mut Printer) -> Result<()> {
    let started = Instant::now();
    let source = ctx.store();
    let target = factory::open(&input.target).await?.documents;
    let outcome = copy_all(source, target.as_ref(), &input, printer).await;
    if let Err(error) = target.close().await {
        tracing::warn!("closing the target store failed: {error}");
    }
    let collections = outcome?;
    printer.report(&CopyReport {
        target: factory::describe(&input.target),
        collections,
        seconds: started.elapsed().as_secs_f64(),
    })
}

async fn copy_all(
    source: &dyn DocumentStore,
    target: &dyn DocumentStore,
    input: &Input,
    printer: &Printer,
) -> Result<Vec<CopiedCollection>> {
    target.initialize().await?;
    let collections = source.list_collections().await?;
    let total: u64 = collections.iter().map(|info| info.count).sum();
    let progress = Progress::new(printer.format(), Some(total), Unit::Chunks);
    let mut done = 0u64;
    let mut report = Vec::with_capacity(collections.len());
    for info in &collections {
        target.create_collection(&info.name, info.embedding_space.as_ref()).await?;
        let deferred = target.begin_bulk_load(&info.name).await?;
        let copied = copy_collection(source, target, info, input, &progress, &mut done).await;
        // After a failure too: what was copied gets its index.
        if deferred {
            progress.stage(format!("building the vector index of `{}` in the target", info.name));
        }
        let finished = target.finish_bulk_load(&info.name).await;
        let mut copied = copied?;
        finished?;
        copied.verified = verify(source, target, &info.name, &sample_ids(source, info, input).await?).await?;
        copied.source_count = source.count(&info.name, None).await?;
        copied.target_count = target.count(&info.name, None).await?;
        if copied.target_count < copied.source_count {
            return Err(CliError::Verification(format!(
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
    progress.finish();
    Ok(report)
}

/// Copies the pages of one collection that the target does not already hold identically.
async fn copy_collection(
    source: &dyn DocumentStore,
    target: &dyn DocumentStore,
    info: &CollectionInfo,
    input: &Input,
    progress: &Progress,
    done: &mut u64,
) -> Result<CopiedCollection> {
    let mut existing = TargetCursor::new(target, &info.name, input.batch_size);
    let mut request = ListRequest::first(input.batch_size);
    let (mut copied, mut skipped) = (0u64, 0u64);
    loop {
        let page = source.list(&info.name, &request).await?;
        let Some(last) = page.last() else { break };
        request = request.after(last.id.clone());
        let full = page.len() == input.batch_size;
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
async fn sample_ids(source: &dyn DocumentStore, info: &CollectionInfo, input: &Input) -> Result<Vec<String>> {
    if input.verify_sample == 0 || info.count == 0 {
        return Ok(Vec::new());
    }
    let stride = (info.count / input.verify_sample as u64).max(1);
    let mut ids = Vec::with_capacity(input.verify_sample);
    let mut request = ListRequest::first(input.batch_size);
    let mut position = 0u64;
    while ids.len() < input.verify_sample {
        let page = source.list(&info.name, &request).await?;
        let Some(last) = page.last() else { break };
        request = request.after(last.id.clone());
        for chunk in &page {
            if position.is_multiple_of(stride) && ids.len() < input.verify_sample {
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
                return Err(CliError::Verification(format!("chunk `{id}` of collection `{collection}` differs")));
            }
            None => {
                return Err(CliError::Verification(format!("chunk `{id}` of collection `{collection}` is missing")));
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
