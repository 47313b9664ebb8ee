//! `brainstore embed TEXT | --file F.jsonl`: the configured provider's vectors, for users who pipe them elsewhere.
//!
//! TEXT prints its vector (a JSON array; `--json` adds the provider, model and dimensions). A file of
//! `{"id","text"}` lines prints `{"id","embedding"}` lines in the same order, a batch at a time, so memory
//! stays flat; a bad line stops the run naming its line, after the lines before it were printed.

use std::io::{self, Write};
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;
use storage_core::transfer::{Input as LinesInput, LineReader, text_line, thousands};
use storage_core::{Embedder, Embedding, EmbeddingSpace, StorageError};

use super::open_input;
use crate::args::EmbedArgs;
use crate::config::AppConfig;
use crate::error::{CliError, Result};
use crate::output::{Printer, Report};
use crate::progress::{Progress, Unit};

/// Texts embedded per call when reading a file: large enough to keep every core busy.
const FILE_BATCH: usize = 256;

/// What to embed.
#[derive(Debug)]
pub(crate) enum Input {
    /// One text from the command line.
    Text(String),
    /// JSON lines of `{"id","text"}`, open.
    File(LinesInput),
}

/// Checks the arguments and opens the file, before any model loads.
pub(crate) fn parse(args: EmbedArgs) -> Result<Input> {
    match (args.text, args.file) {
        (Some(text), None) => {
            storage_core::check_text(&text, "text").map_err(|e| CliError::usage(format!("TEXT: {}", reason_of(e))))?;
            Ok(Input::Text(text))
        }
        (None, Some(path)) => Ok(Input::File(open_input(&path)?)),
        _ => Err(CliError::usage("give TEXT or --file F.jsonl (one of them)")),
    }
}

fn reason_of(error: StorageError) -> String {
    match error {
        StorageError::InvalidInput { reason, .. } => reason,
        other => other.to_string(),
    }
}

/// Loads the configured provider and prints the vectors.
pub(crate) fn run(input: Input, app: &AppConfig, printer: &mut Printer) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Internal(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let embedder = ::embed::connect(&app.embedding.provider_config()).await.map_err(StorageError::from)?;
        match input {
            Input::Text(text) => {
                let embedding = storage_core::embed_one(embedder.as_ref(), &text).await?;
                printer.report(&EmbedReport { space: embedder.space().clone(), embedding })
            }
            Input::File(file) => embed_file(embedder.as_ref(), file, printer).await,
        }
    })
}

/// One text's vector: the array alone for a person (so it pipes), with its space under `--json`.
#[derive(Debug, Serialize)]
struct EmbedReport {
    #[serde(flatten)]
    space: EmbeddingSpace,
    embedding: Embedding,
}

impl Report for EmbedReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer(&mut *out, &self.embedding).map_err(io::Error::from)?;
        out.write_all(b"\n")
    }
}

/// One output line of `--file`.
#[derive(Serialize)]
struct EmbeddedLine {
    id: Value,
    embedding: Embedding,
}

async fn embed_file(embedder: &dyn Embedder, file: LinesInput, printer: &mut Printer) -> Result<()> {
    let progress = Progress::new(printer.format(), file.size, Unit::Bytes);
    let by_bytes = file.size.is_some();
    let mut reader = LineReader::new(file.into_reader());
    let started = Instant::now();
    let mut done: u64 = 0;
    let mut batch: Vec<(Value, String)> = Vec::with_capacity(FILE_BATCH);
    loop {
        let next = reader.next_line().map_err(|e| CliError::Internal(format!("cannot read the input: {e}")))?;
        let end = next.is_none();
        if let Some((line, text)) = next {
            let parsed = text.and_then(text_line).map_err(|source| CliError::Line { line, source });
            match parsed {
                Ok(item) => batch.push(item),
                Err(error) => {
                    // What came before the bad line is printed: the output says how far the run got.
                    flush_batch(embedder, &mut batch, printer).await?;
                    return Err(error);
                }
            }
        }
        if batch.len() == FILE_BATCH || (end && !batch.is_empty()) {
            done += flush_batch(embedder, &mut batch, printer).await?;
            let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-9);
            let position = if by_bytes { reader.bytes_read() } else { done };
            progress.update(position, format!("{} texts, {} texts/s", thousands(done), thousands(rate as u64)));
        }
        if end {
            break;
        }
    }
    progress.finish();
    printer.flush()
}

/// Embeds and prints `batch`, emptying it; returns how many lines it printed.
async fn flush_batch(embedder: &dyn Embedder, batch: &mut Vec<(Value, String)>, printer: &mut Printer) -> Result<u64> {
    if batch.is_empty() {
        return Ok(0);
    }
    let texts: Vec<&str> = batch.iter().map(|(_, text)| text.as_str()).collect();
    let vectors = embedder.embed(&texts).await?;
    let count = batch.len() as u64;
    for ((id, _), embedding) in batch.drain(..).zip(vectors) {
        printer.json_line(&EmbeddedLine { id, embedding })?;
    }
    Ok(count)
}
