//! The streaming write path of `ingest` and `import`: a reader thread parses and validates lines into batches, the async side commits each batch atomically.
//!
//! Memory stays flat at any input size: the reader holds one line and one batch, and the bounded channel
//! holds at most two more. A bad line stops the reader before it sends the batch the line belongs to, so
//! every batch before it is committed and no part of its own batch is. With an embedder, a stage between
//! the two embeds each batch's text-only chunks while the batch before it is written; a batch that fails
//! to embed stops the run like a bad line.

use std::io::{self, BufRead};
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use tokio::sync::mpsc;

use super::export::{ExportHeader, ExportedChunk};
use super::lines::{LineReader, chunk_line, from_line, parse_object};
use super::{LineError, Progress, TransferError, thousands};
use crate::collection::CollectionName;
use crate::document::Chunk;
use crate::embedder::{Embedder, EmbedderResolver, embed_missing};
use crate::embedding::EmbeddingSpace;
use crate::error::StorageError;
use crate::store::DocumentStore;

type Result<T, E = TransferError> = std::result::Result<T, E>;

/// The lines to read: any buffered reader, and its size when known (for progress in bytes).
pub struct Input {
    reader: Box<dyn BufRead + Send>,
    /// Its size in bytes, when known.
    pub size: Option<u64>,
}

impl Input {
    /// An input over `reader`, `size` bytes long when known.
    pub fn new(reader: Box<dyn BufRead + Send>, size: Option<u64>) -> Self {
        Input { reader, size }
    }

    /// The reader itself, for a caller that reads the lines on its own (`LineReader`).
    pub fn into_reader(self) -> Box<dyn BufRead + Send> {
        self.reader
    }
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input").field("size", &self.size).finish_non_exhaustive()
    }
}

/// What the lines are.
#[derive(Clone, Debug)]
pub enum IngestMode {
    /// Chunk lines for one collection, whose embedding space (if any) every embedding must fit.
    Ingest {
        /// The collection (it must exist).
        collection: CollectionName,
        /// Its embedding space, if it records one.
        space: Option<EmbeddingSpace>,
    },
    /// An export: a header line per collection, then its chunk lines.
    Import,
}

/// The collection the next chunk lines go to.
#[derive(Clone, Debug)]
struct Header {
    name: CollectionName,
    space: Option<EmbeddingSpace>,
}

/// What the reader thread hands to the writer, in input order.
enum Item {
    Collection(Header),
    Batch {
        chunks: Vec<Chunk>,
        lines: Vec<u64>,
        bytes_read: u64,
    },
    Skipped {
        line: u64,
        error: LineError,
    },
    Failed {
        line: u64,
        error: LineError,
    },
    ReadFailed(io::Error),
    /// The batch starting at `line` could not be embedded.
    EmbedFailed {
        line: u64,
        error: StorageError,
    },
}

/// How a run is set up.
#[derive(Clone, Debug)]
pub struct IngestSettings {
    /// What the lines are.
    pub mode: IngestMode,
    /// Chunks per atomic batch (1 to `MAX_BATCH_CHUNKS`).
    pub batch_size: usize,
    /// Skip a bad line (and report it) instead of stopping at it.
    pub skip_invalid: bool,
    /// Finds the embedder for chunks that come without a vector (`IngestMode::Ingest` into a space that
    /// names a provider and model), on the first batch that has one; `None` stores them as they are.
    pub resolver: Option<Arc<dyn EmbedderResolver>>,
}

/// What a run wrote: `ingest --json` prints it (docs/design.md's `{"ingested", "inserted", "updated",
/// "skipped", "seconds", "rows_per_sec"}`, and more).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct IngestSummary {
    /// Chunks committed.
    pub ingested: u64,
    /// Chunks whose id was new.
    pub inserted: u64,
    /// Chunks that replaced one with the same id.
    pub updated: u64,
    /// Lines skipped (`skip_invalid`).
    pub skipped: u64,
    /// Chunks dropped because a later line of the same batch had the same id.
    pub duplicates_in_batch: u64,
    /// Batches committed.
    pub batches: u64,
    /// Wall time of the run.
    pub seconds: f64,
    /// `ingested / seconds`.
    pub rows_per_sec: f64,
    /// Collections written to, in order (an import's headers).
    #[serde(skip)]
    pub collections: Vec<String>,
}

/// Reads `input` and commits it to `store` batch by batch; what committed before a failure stays, and no
/// partial batch is written.
pub async fn ingest(
    store: Arc<dyn DocumentStore>,
    input: Input,
    settings: IngestSettings,
    progress: &dyn Progress,
) -> Result<IngestSummary> {
    let by_bytes = input.size.is_some();
    let (sender, mut receiver) = mpsc::channel::<Item>(2);
    let reader_mode = settings.mode.clone();
    let (batch_size, skip_invalid) = (settings.batch_size, settings.skip_invalid);
    let reader = std::thread::Builder::new()
        .name("brainstore-reader".to_owned())
        .spawn(move || read_all(input, &reader_mode, batch_size, skip_invalid, &sender))
        .map_err(|e| TransferError::Internal(format!("cannot start the reader thread: {e}")))?;
    if let (Some(resolver), IngestMode::Ingest { collection, space: Some(space) }) =
        (&settings.resolver, &settings.mode)
        && space.names_provider()
    {
        receiver = embedding_stage(resolver.clone(), collection.clone(), space.clone(), receiver);
    }

    let mut writer = Writer {
        store,
        collection: None,
        index_deferred: None,
        skip_invalid,
        report: IngestSummary::default(),
        last_committed_line: None,
        started: Instant::now(),
    };
    if let IngestMode::Ingest { collection, .. } = &settings.mode {
        writer.begin_load(collection.clone()).await?;
    }
    let drained = drain(&mut writer, &mut receiver, by_bytes, progress).await;
    // After a failure too: what was committed gets its index.
    let finished = writer.finish_load(progress).await;
    drained?;
    finished?;
    // The channel closed: the reader has returned, so joining cannot block.
    if reader.join().is_err() {
        return Err(TransferError::Internal("the reader thread panicked".to_owned()));
    }
    writer.report.seconds = writer.started.elapsed().as_secs_f64();
    writer.report.rows_per_sec = writer.rate();
    Ok(writer.report)
}

/// Commits what the reader sends until the channel closes or something fails.
async fn drain(
    writer: &mut Writer,
    receiver: &mut mpsc::Receiver<Item>,
    by_bytes: bool,
    progress: &dyn Progress,
) -> Result<()> {
    while let Some(item) = receiver.recv().await {
        match item {
            Item::Collection(header) => {
                if let Err(error) = writer.switch_collection(header, progress).await {
                    progress.note(&writer.stop_message(0));
                    return Err(error);
                }
            }
            Item::Batch { chunks, lines, bytes_read } => {
                if let Err(error) = writer.commit(chunks, lines, progress).await {
                    // Say what is safely in the store before the error itself.
                    progress.note(&writer.stop_message(0));
                    return Err(error);
                }
                let rows = writer.report.ingested;
                let position = if by_bytes { bytes_read } else { rows };
                progress
                    .update(position, format!("{} rows, {} rows/s", thousands(rows), thousands(writer.rate() as u64)));
            }
            Item::Skipped { line, error } => {
                writer.report.skipped += 1;
                progress.note(&format!("line {line}: {error} (skipped)"));
            }
            Item::Failed { line, error } => {
                progress.note(&writer.stop_message(line));
                return Err(TransferError::Line { line, source: error });
            }
            Item::ReadFailed(source) => {
                progress.note(&writer.stop_message(0));
                return Err(TransferError::Read(source));
            }
            Item::EmbedFailed { line, error } => {
                progress.note(&writer.stop_message(line));
                return Err(error.into());
            }
        }
    }
    Ok(())
}

struct Writer {
    store: Arc<dyn DocumentStore>,
    collection: Option<CollectionName>,
    /// `Some` while `collection`'s bulk load is open: whether its backend set an index aside.
    index_deferred: Option<bool>,
    skip_invalid: bool,
    report: IngestSummary,
    last_committed_line: Option<u64>,
    started: Instant,
}

impl Writer {
    fn rate(&self) -> f64 {
        let seconds = self.started.elapsed().as_secs_f64();
        if seconds > 0.0 { self.report.ingested as f64 / seconds } else { 0.0 }
    }

    /// What was committed before a stop at `line` (0 when the input itself failed).
    fn stop_message(&self, line: u64) -> String {
        let at = if line > 0 { format!(" at line {line}") } else { String::new() };
        match self.last_committed_line {
            None => format!("stopped{at}: nothing was written"),
            Some(last) => format!(
                "stopped{at}: {} row(s) committed in {} batch(es), through line {last}; nothing after it was written",
                thousands(self.report.ingested),
                self.report.batches
            ),
        }
    }

    async fn switch_collection(&mut self, header: Header, progress: &dyn Progress) -> Result<()> {
        self.finish_load(progress).await?;
        self.store.create_collection(&header.name, header.space.as_ref()).await?;
        self.report.collections.push(header.name.to_string());
        self.begin_load(header.name).await
    }

    /// Makes `collection` the one batches go to, in a bulk load (`DocumentStore::begin_bulk_load`).
    async fn begin_load(&mut self, collection: CollectionName) -> Result<()> {
        self.index_deferred = Some(self.store.begin_bulk_load(&collection).await?);
        self.collection = Some(collection);
        Ok(())
    }

    /// Ends the current bulk load, building the index it set aside.
    async fn finish_load(&mut self, progress: &dyn Progress) -> Result<()> {
        let (Some(deferred), Some(collection)) = (self.index_deferred.take(), &self.collection) else {
            return Ok(());
        };
        if deferred {
            progress.stage(format!("building the vector index of `{collection}`"));
        }
        self.store.finish_bulk_load(collection).await?;
        Ok(())
    }

    async fn commit(&mut self, mut chunks: Vec<Chunk>, mut lines: Vec<u64>, progress: &dyn Progress) -> Result<()> {
        let collection =
            self.collection.clone().ok_or_else(|| TransferError::Internal("batch before any collection".into()))?;
        let summary = loop {
            // With --skip-invalid a chunk the backend refuses is dropped and the batch retried, so keep a copy.
            let attempt = if self.skip_invalid { chunks.clone() } else { std::mem::take(&mut chunks) };
            match self.store.upsert(&collection, attempt).await {
                Ok(summary) => break summary,
                Err(error) => {
                    let Some((idx, field_error)) = split_chunk_error(&error, lines.len()) else {
                        return Err(error.into());
                    };
                    if !self.skip_invalid {
                        return Err(TransferError::Line { line: lines[idx], source: LineError::Invalid(field_error) });
                    }
                    progress.note(&format!("line {}: {field_error} (skipped)", lines[idx]));
                    self.report.skipped += 1;
                    chunks.remove(idx);
                    lines.remove(idx);
                    if chunks.is_empty() {
                        return Ok(());
                    }
                }
            }
        };
        self.report.ingested += lines.len() as u64;
        self.report.inserted += summary.inserted;
        self.report.updated += summary.updated;
        self.report.duplicates_in_batch += summary.duplicates_in_batch;
        self.report.batches += 1;
        self.last_committed_line = lines.last().copied().or(self.last_committed_line);
        Ok(())
    }
}

/// Embeds each batch's chunks that have no vector while the writer commits the batch before, keeping the
/// order; the channels between reader, this stage and the writer hold two items each, so memory stays flat.
fn embedding_stage(
    resolver: Arc<dyn EmbedderResolver>,
    collection: CollectionName,
    space: EmbeddingSpace,
    mut input: mpsc::Receiver<Item>,
) -> mpsc::Receiver<Item> {
    let (sender, receiver) = mpsc::channel::<Item>(2);
    tokio::spawn(async move {
        // Resolved on the first chunk without a vector: a file that carries its vectors loads no model.
        let mut embedder: Option<Arc<dyn Embedder>> = None;
        let mut embed = async |chunks: &mut [Chunk]| -> crate::Result<usize> {
            if chunks.iter().all(|chunk| chunk.embedding.is_some()) {
                return Ok(0);
            }
            let embedder = match &embedder {
                Some(embedder) => embedder.clone(),
                None => embedder.insert(resolver.resolve(&space).await?).clone(),
            };
            embed_missing(embedder.as_ref(), &collection, &space, chunks).await
        };
        while let Some(item) = input.recv().await {
            let (item, stop) = match item {
                Item::Batch { mut chunks, lines, bytes_read } => match embed(&mut chunks).await {
                    Ok(_) => (Item::Batch { chunks, lines, bytes_read }, false),
                    Err(error) => (Item::EmbedFailed { line: lines.first().copied().unwrap_or(0), error }, true),
                },
                other => (other, false),
            };
            // A failed send means the writer stopped; dropping `input` then stops the reader.
            if sender.send(item).await.is_err() || stop {
                return;
            }
        }
    });
    receiver
}

/// Splits a backend's `chunks[3].embedding: …` error into the chunk index and the error within it, so it
/// can be reported against the input line.
fn split_chunk_error(error: &StorageError, batch_len: usize) -> Option<(usize, StorageError)> {
    let StorageError::InvalidInput { field, reason } = error else {
        return None;
    };
    let rest = field.strip_prefix("chunks[")?;
    let (index, rest) = rest.split_once(']')?;
    let index: usize = index.parse().ok()?;
    if index >= batch_len {
        return None;
    }
    let field = rest.strip_prefix('.').unwrap_or(rest);
    Some((index, StorageError::invalid(field, reason.clone())))
}

/// The reader thread: lines → validated chunks → batches, in order, until the end or a bad line.
fn read_all(input: Input, mode: &IngestMode, batch_size: usize, skip_invalid: bool, sender: &mpsc::Sender<Item>) {
    // A failed send means the writer stopped (an error); the reader just stops too.
    let send = |item: Item| sender.blocking_send(item).is_ok();
    let mut reader = LineReader::new(input.reader);
    let mut current: Option<Header> = match mode {
        IngestMode::Ingest { collection, space } => Some(Header { name: collection.clone(), space: space.clone() }),
        IngestMode::Import => None,
    };
    let mut chunks = Vec::with_capacity(batch_size);
    let mut lines = Vec::with_capacity(batch_size);
    loop {
        let (line, parsed) = match reader.next_line() {
            Ok(Some((line, text))) => (line, text.and_then(|text| parse_line(text, mode, current.as_ref()))),
            Ok(None) => break,
            Err(error) => {
                send(Item::ReadFailed(error));
                return;
            }
        };
        match parsed {
            Ok(Parsed::Chunk(chunk)) => {
                chunks.push(chunk);
                lines.push(line);
                if chunks.len() == batch_size {
                    let batch = Item::Batch {
                        chunks: std::mem::replace(&mut chunks, Vec::with_capacity(batch_size)),
                        lines: std::mem::replace(&mut lines, Vec::with_capacity(batch_size)),
                        bytes_read: reader.bytes_read(),
                    };
                    if !send(batch) {
                        return;
                    }
                }
            }
            Ok(Parsed::Header(header)) => {
                if !chunks.is_empty() {
                    let batch = Item::Batch {
                        chunks: std::mem::take(&mut chunks),
                        lines: std::mem::take(&mut lines),
                        bytes_read: reader.bytes_read(),
                    };
                    if !send(batch) {
                        return;
                    }
                }
                current = Some(header.clone());
                if !send(Item::Collection(header)) {
                    return;
                }
            }
            Err(error) if skip_invalid => {
                if !send(Item::Skipped { line, error }) {
                    return;
                }
            }
            Err(error) => {
                send(Item::Failed { line, error });
                return;
            }
        }
    }
    if !chunks.is_empty() {
        send(Item::Batch { chunks, lines, bytes_read: reader.bytes_read() });
    }
}

enum Parsed {
    Chunk(Chunk),
    Header(Header),
}

fn parse_line(text: &str, mode: &IngestMode, current: Option<&Header>) -> std::result::Result<Parsed, LineError> {
    let chunk = match mode {
        IngestMode::Ingest { .. } => chunk_line(text)?,
        IngestMode::Import => {
            // A header names its collection and has no id; anything else is a chunk of the last header.
            let object = parse_object(text)?;
            if object.contains_key("collection") && !object.contains_key("id") {
                let header: ExportHeader = from_line(text)?;
                header.check()?;
                return Ok(Parsed::Header(Header { name: header.collection, space: header.embedding_space }));
            }
            let chunk = from_line::<ExportedChunk>(text)?.into_chunk();
            chunk.validate()?;
            chunk
        }
    };
    let Some(current) = current else {
        return Err(StorageError::invalid(
            "collection",
            "a chunk line before any collection header: is this a file written by `export`?",
        )
        .into());
    };
    if let Some(embedding) = &chunk.embedding {
        match &current.space {
            Some(space) => space.check_vector(&current.name, "embedding", embedding)?,
            None => return Err(StorageError::missing_space(&current.name, "embedding").into()),
        }
    }
    Ok(Parsed::Chunk(chunk))
}
