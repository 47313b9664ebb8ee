//! `{"id","text"}` lines in, `{"id","embedding"}` lines out, a batch at a time and in the input's order, so
//! memory stays flat however long the input (`brainstore embed --file`).

use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use super::{Input, LineReader, Progress, TransferError, text_line, thousands};
use crate::{Embedder, Embedding};

/// Texts embedded per call: large enough to keep every core busy.
pub const EMBED_BATCH: usize = 256;

/// One output line: the input line's id and its text's vector.
#[derive(Debug, Serialize)]
pub struct EmbeddedLine {
    /// The input line's id, a string or a number as given.
    pub id: Value,
    /// The text's vector.
    pub embedding: Embedding,
}

/// Embeds every line of `input`, handing each result to `emit` in order; returns how many it emitted. A
/// bad line stops the run naming its line, after the lines before it were emitted, so the output says how
/// far the run got.
pub async fn embed_lines<E: From<TransferError>>(
    embedder: &dyn Embedder,
    input: Input,
    progress: &dyn Progress,
    mut emit: impl FnMut(EmbeddedLine) -> Result<(), E>,
) -> Result<u64, E> {
    let by_bytes = input.size.is_some();
    let mut reader = LineReader::new(input.into_reader());
    let started = Instant::now();
    let mut done: u64 = 0;
    let mut batch: Vec<(Value, String)> = Vec::with_capacity(EMBED_BATCH);
    loop {
        let next = reader.next_line().map_err(TransferError::Read)?;
        let end = next.is_none();
        if let Some((line, text)) = next {
            match text.and_then(text_line) {
                Ok(item) => batch.push(item),
                Err(source) => {
                    flush(embedder, &mut batch, &mut emit).await?;
                    return Err(TransferError::Line { line, source }.into());
                }
            }
        }
        if batch.len() == EMBED_BATCH || (end && !batch.is_empty()) {
            done += flush(embedder, &mut batch, &mut emit).await?;
            let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-9);
            let position = if by_bytes { reader.bytes_read() } else { done };
            progress.update(position, format!("{} texts, {} texts/s", thousands(done), thousands(rate as u64)));
        }
        if end {
            return Ok(done);
        }
    }
}

/// Embeds and emits `batch`, emptying it; returns how many lines it emitted.
async fn flush<E: From<TransferError>>(
    embedder: &dyn Embedder,
    batch: &mut Vec<(Value, String)>,
    emit: &mut impl FnMut(EmbeddedLine) -> Result<(), E>,
) -> Result<u64, E> {
    if batch.is_empty() {
        return Ok(0);
    }
    let texts: Vec<&str> = batch.iter().map(|(_, text)| text.as_str()).collect();
    let vectors = embedder.embed(&texts).await.map_err(TransferError::Storage)?;
    let count = batch.len() as u64;
    for ((id, _), embedding) in batch.drain(..).zip(vectors) {
        emit(EmbeddedLine { id, embedding })?;
    }
    Ok(count)
}
