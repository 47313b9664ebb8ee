//! `brainstore export [--out FILE]`: every collection as JSON lines, a header line per collection (with its embedding space) then its chunks, embeddings included.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use serde::Serialize;
use storage_core::{CollectionInfo, DocumentStore, EmbeddingSpace, ListRequest};

use super::Context;
use super::pipeline::EXPORT_FORMAT_VERSION;
use crate::args::ExportArgs;
use crate::error::{CliError, Result};
use crate::output::{ExportReport, Printer, write_json_line};
use crate::progress::{Progress, Unit};

/// Chunks read per page.
const PAGE: usize = 1_000;

/// Where the export goes.
#[derive(Debug)]
pub(crate) struct Input {
    out: Option<PathBuf>,
}

/// Checks that the output folder exists, before any store opens.
pub(crate) fn parse(args: ExportArgs) -> Result<Input> {
    if let Some(out) = &args.out {
        let folder = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
        if !folder.is_dir() {
            return Err(CliError::usage(format!("--out: folder {} does not exist", folder.display())));
        }
    }
    Ok(Input { out: args.out })
}

/// The header line of one collection.
#[derive(Serialize)]
struct Header<'a> {
    brainstore_export: u64,
    collection: &'a str,
    embedding_space: Option<&'a EmbeddingSpace>,
    count: u64,
}

/// Writes the export to stdout, or to a temporary file renamed over `--out` once complete.
pub(crate) async fn run(ctx: &Context, input: Input, printer: &mut Printer) -> Result<()> {
    let store = ctx.store();
    let collections = store.list_collections().await?;
    let total: u64 = collections.iter().map(|c| c.count).sum();
    let progress = Progress::new(printer.format(), Some(total), Unit::Chunks);
    match input.out {
        None => {
            write_all(store, &collections, printer.writer(), &progress).await.map_err(into_stdout_error)?;
            progress.finish();
            printer.flush()
        }
        Some(out) => {
            let folder = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
            let file_error = |source: std::io::Error| CliError::Output { what: out.display().to_string(), source };
            let temp = tempfile::NamedTempFile::new_in(folder).map_err(file_error)?;
            let mut writer = BufWriter::new(temp);
            let chunks = write_all(store, &collections, &mut writer, &progress).await.map_err(|e| match e {
                WriteError::Io(source) => file_error(source),
                WriteError::Store(error) => error,
            })?;
            let temp = writer.into_inner().map_err(|e| file_error(e.into_error()))?;
            temp.as_file().sync_all().map_err(file_error)?;
            temp.persist(&out).map_err(|e| file_error(e.error))?;
            progress.finish();
            printer.report(&ExportReport { out, collections: collections.len() as u64, chunks })
        }
    }
}

enum WriteError {
    Io(std::io::Error),
    Store(CliError),
}

fn into_stdout_error(error: WriteError) -> CliError {
    match error {
        WriteError::Io(source) => CliError::stdout(source),
        WriteError::Store(error) => error,
    }
}

/// Writes every collection; returns the number of chunks written.
async fn write_all(
    store: &dyn DocumentStore,
    collections: &[CollectionInfo],
    out: &mut dyn Write,
    progress: &Progress,
) -> std::result::Result<u64, WriteError> {
    let mut written = 0u64;
    for info in collections {
        let header = Header {
            brainstore_export: EXPORT_FORMAT_VERSION,
            collection: info.name.as_str(),
            embedding_space: info.embedding_space.as_ref(),
            count: info.count,
        };
        write_json_line(out, &header).map_err(WriteError::Io)?;
        let mut request = ListRequest::first(PAGE);
        loop {
            let page = store.list(&info.name, &request).await.map_err(|e| WriteError::Store(e.into()))?;
            let Some(last) = page.last() else { break };
            request = request.after(last.id.clone());
            let full = page.len() == PAGE;
            for chunk in &page {
                write_json_line(out, chunk).map_err(WriteError::Io)?;
            }
            written += page.len() as u64;
            progress.update(written, String::new());
            if !full {
                break;
            }
        }
    }
    out.flush().map_err(WriteError::Io)?;
    Ok(written)
}
