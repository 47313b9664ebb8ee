//! The streaming write path of `ingest` and `import`: a reader thread parses and validates lines into batches, the async side commits each batch atomically.
//!
//! Memory stays flat at any input size: the reader holds one line and one batch, and the bounded channel
//! holds at most two more. A bad line stops the reader before it sends the batch the line belongs to, so
//! every batch before it is committed and no part of its own batch is.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value};
use storage_core::{Chunk, CollectionName, DocumentStore, EmbeddingSpace, StorageError};
use tokio::sync::mpsc;

use super::lines::{LineError, LineReader, chunk_from_object, parse_object};
use crate::error::{CliError, Result};
use crate::output::IngestReport;
use crate::progress::{Progress, thousands};

/// Fields of an export's chunk lines that `import` accepts and ignores (the target sets its own times).
const EXPORT_CHUNK_EXTRAS: &[&str] = &["created_at", "updated_at"];

/// The input of `ingest` or `import`: a file opened during validation, or standard input.
pub(crate) struct InputFile {
    reader: Box<dyn BufRead + Send>,
    /// Its size, when known, for a progress bar in bytes.
    pub(crate) size: Option<u64>,
}

impl std::fmt::Debug for InputFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputFile").field("size", &self.size).finish_non_exhaustive()
    }
}

/// Opens `path` (`-` is standard input) so a missing file is a usage error before any store opens.
pub(crate) fn open_input(path: &Path) -> Result<InputFile> {
    if path.as_os_str() == "-" {
        return Ok(InputFile { reader: Box::new(BufReader::new(io::stdin())), size: None });
    }
    let file = File::open(path).map_err(|source| CliError::Input { path: path.display().to_string(), source })?;
    let size = file.metadata().ok().filter(std::fs::Metadata::is_file).map(|m| m.len());
    Ok(InputFile { reader: Box::new(BufReader::with_capacity(256 * 1024, file)), size })
}

/// What the lines are.
#[derive(Clone, Debug)]
pub(crate) enum Mode {
    /// Chunk lines for one collection, whose embedding space (if any) every embedding must fit.
    Ingest { collection: CollectionName, space: Option<EmbeddingSpace> },
    /// An export: a header line per collection, then its chunk lines.
    Import,
}

/// A collection header of an export file.
#[derive(Clone, Debug)]
pub(crate) struct Header {
    pub(crate) name: CollectionName,
    pub(crate) space: Option<EmbeddingSpace>,
}

/// What the reader thread hands to the writer, in input order.
enum Item {
    Collection(Header),
    Batch { chunks: Vec<Chunk>, lines: Vec<u64>, bytes_read: u64 },
    Skipped { line: u64, error: LineError },
    Failed { line: u64, error: LineError },
    ReadFailed(io::Error),
}

/// How a run is set up.
pub(crate) struct Settings {
    pub(crate) mode: Mode,
    pub(crate) batch_size: usize,
    pub(crate) skip_invalid: bool,
}

/// What a run wrote.
pub(crate) struct Outcome {
    pub(crate) report: IngestReport,
    /// Collections written to, in order (import).
    pub(crate) collections: Vec<String>,
}

/// Reads `input` and commits it to `store` batch by batch.
pub(crate) async fn run(
    store: Arc<dyn DocumentStore>,
    input: InputFile,
    settings: Settings,
    progress: &Progress,
) -> Result<Outcome> {
    let by_bytes = input.size.is_some();
    let (sender, mut receiver) = mpsc::channel::<Item>(2);
    let reader_mode = settings.mode.clone();
    let (batch_size, skip_invalid) = (settings.batch_size, settings.skip_invalid);
    let reader = std::thread::Builder::new()
        .name("brainstore-reader".to_owned())
        .spawn(move || read_all(input, &reader_mode, batch_size, skip_invalid, &sender))
        .map_err(|e| CliError::Internal(format!("cannot start the reader thread: {e}")))?;

    let mut writer = Writer {
        store,
        collection: None,
        index_deferred: None,
        skip_invalid,
        report: IngestReport::default(),
        last_committed_line: None,
        collections: Vec::new(),
        started: Instant::now(),
    };
    if let Mode::Ingest { collection, .. } = &settings.mode {
        writer.begin_load(collection.clone()).await?;
    }
    let drained = drain(&mut writer, &mut receiver, by_bytes, progress).await;
    // After a failure too: what was committed gets its index.
    let finished = writer.finish_load(progress).await;
    drained?;
    finished?;
    // The channel closed: the reader has returned, so joining cannot block.
    if reader.join().is_err() {
        return Err(CliError::Internal("the reader thread panicked".to_owned()));
    }
    writer.report.seconds = writer.started.elapsed().as_secs_f64();
    writer.report.rows_per_sec = writer.rate();
    Ok(Outcome { report: writer.report, collections: writer.collections })
}

/// Commits what the reader sends until the channel closes or something fails.
async fn drain(
    writer: &mut Writer,
    receiver: &mut mpsc::Receiver<Item>,
    by_bytes: bool,
    progress: &Progress,
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
                return Err(CliError::Line { line, source: error });
            }
            Item::ReadFailed(source) => {
                progress.note(&writer.stop_message(0));
                return Err(CliError::Input { path: "the input".to_owned(), source });
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
    report: IngestReport,
    last_committed_line: Option<u64>,
    collections: Vec<String>,
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

    async fn switch_collection(&mut self, header: Header, progress: &Progress) -> Result<()> {
        self.finish_load(progress).await?;
        self.store.create_collection(&header.name, header.space.as_ref()).await?;
        self.collections.push(header.name.to_string());
        self.begin_load(header.name).await
    }

    /// Makes `collection` the one batches go to, in a bulk load (`DocumentStore::begin_bulk_load`).
    async fn begin_load(&mut self, collection: CollectionName) -> Result<()> {
        self.index_deferred = Some(self.store.begin_bulk_load(&collection).await?);
        self.collection = Some(collection);
        Ok(())
    }

    /// Ends the current bulk load, building the index it set aside.
    async fn finish_load(&mut self, progress: &Progress) -> Result<()> {
        let (Some(deferred), Some(collection)) = (self.index_deferred.take(), &self.collection) else {
            return Ok(());
        };
        if deferred {
            progress.stage(format!("building the vector index of `{collection}`"));
        }
        self.store.finish_bulk_load(collection).await?;
        Ok(())
    }

    async fn commit(&mut self, mut chunks: Vec<Chunk>, mut lines: Vec<u64>, progress: &Progress) -> Result<()> {
        let collection =
            self.collection.clone().ok_or_else(|| CliError::Internal("batch before any collection".into()))?;
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
                        return Err(CliError::Line { line: lines[idx], source: LineError::Invalid(field_error) });
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
fn read_all(input: InputFile, mode: &Mode, batch_size: usize, skip_invalid: bool, sender: &mpsc::Sender<Item>) {
    // A failed send means the writer stopped (an error); the reader just stops too.
    let send = |item: Item| sender.blocking_send(item).is_ok();
    let mut reader = LineReader::new(input.reader);
    let mut current: Option<Header> = match mode {
        Mode::Ingest { collection, space } => Some(Header { name: collection.clone(), space: space.clone() }),
        Mode::Import => None,
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

fn parse_line(text: &str, mode: &Mode, current: Option<&Header>) -> std::result::Result<Parsed, LineError> {
    let object = parse_object(text)?;
    if matches!(mode, Mode::Import) && object.contains_key("collection") && !object.contains_key("id") {
        return Ok(Parsed::Header(parse_header(object)?));
    }
    let extras = if matches!(mode, Mode::Import) { EXPORT_CHUNK_EXTRAS } else { &[] };
    let chunk = chunk_from_object(object, extras)?;
    let Some(current) = current else {
        return Err(StorageError::invalid(
            "collection",
            "a chunk line before any collection header: is this a file written by `brainstore export`?",
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

/// The export format's version, written in every header.
pub(crate) const EXPORT_FORMAT_VERSION: u64 = 1;

fn parse_header(mut object: Map<String, Value>) -> std::result::Result<Header, LineError> {
    const FIELDS: &[&str] = &["brainstore_export", "collection", "embedding_space", "count"];
    if let Some(unknown) = object.keys().find(|key| !FIELDS.contains(&key.as_str())) {
        return Err(StorageError::invalid(unknown.as_str(), "unknown field in a collection header").into());
    }
    match object.remove("brainstore_export") {
        None => {}
        Some(Value::Number(n)) if n.as_u64() == Some(EXPORT_FORMAT_VERSION) => {}
        Some(other) => {
            return Err(StorageError::invalid(
                "brainstore_export",
                format!(
                    "format version {other} is not supported; this brainstore reads version {EXPORT_FORMAT_VERSION}"
                ),
            )
            .into());
        }
    }
    let name = match object.remove("collection") {
        Some(Value::String(name)) => CollectionName::new(name)?,
        _ => return Err(StorageError::invalid("collection", "must be a collection name").into()),
    };
    let space = match object.remove("embedding_space") {
        None | Some(Value::Null) => None,
        Some(value) => {
            let space: EmbeddingSpace =
                serde_json::from_value(value).map_err(|e| StorageError::invalid("embedding_space", e.to_string()))?;
            space.validate().map_err(|e| e.within("embedding_space"))?;
            Some(space)
        }
    };
    Ok(Header { name, space })
}
