//! `brainstore embed TEXT | --file F.jsonl`: the configured provider's vectors, for users who pipe them elsewhere.
//!
//! TEXT prints its vector (a JSON array; `--json` adds the provider, model and dimensions). A file of
//! `{"id","text"}` lines prints `{"id","embedding"}` lines in the same order, a batch at a time, so memory
//! stays flat; a bad line stops the run naming its line, after the lines before it were printed.

use std::io::{self, Write};

use serde::Serialize;
use storage_core::transfer::{Input as LinesInput, embed_lines};
use storage_core::{Embedder, Embedding, EmbeddingSpace, StorageError};

use super::open_input;
use crate::args::EmbedArgs;
use crate::config::AppConfig;
use crate::error::{CliError, Result};
use crate::output::{Printer, Report};
use crate::progress::{Progress, Unit};

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

async fn embed_file(embedder: &dyn Embedder, file: LinesInput, printer: &mut Printer) -> Result<()> {
    let progress = Progress::new(printer.format(), file.size, Unit::Bytes);
    let emitted = embed_lines(embedder, file, &progress, |line| printer.json_line(&line)).await;
    progress.finish();
    emitted?;
    printer.flush()
}
