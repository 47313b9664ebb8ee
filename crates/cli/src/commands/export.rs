//! `brainstore export [--out FILE|-]`: every collection in core's export format (`transfer::export`): a header line per collection, then its chunks, embeddings included.

use std::io::BufWriter;
use std::path::{Path, PathBuf};

use storage_core::transfer::{self, TransferError};

use super::Context;
use crate::args::ExportArgs;
use crate::error::{CliError, Result};
use crate::output::{ExportReport, Printer};
use crate::progress::{Progress, Unit};

/// Where the export goes: stdout (no `--out`, or `--out -`), or a file.
#[derive(Debug)]
pub(crate) struct Input {
    out: Option<PathBuf>,
}

/// Checks that the output folder exists, before any store opens.
pub(crate) fn parse(args: ExportArgs) -> Result<Input> {
    let out = args.out.filter(|out| out.as_os_str() != "-");
    if let Some(out) = &out {
        let folder = folder_of(out);
        if !folder.is_dir() {
            return Err(CliError::usage(format!("--out: folder {} does not exist", folder.display())));
        }
    }
    Ok(Input { out })
}

fn folder_of(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Writes the export to stdout, or to a temporary file renamed over `--out` once complete (so a failed
/// export leaves no partial file).
pub(crate) async fn run(ctx: &Context, input: Input, printer: &mut Printer) -> Result<()> {
    let store = ctx.store();
    let collections = store.list_collections().await?;
    let total: u64 = collections.iter().map(|c| c.count).sum();
    let progress = Progress::new(printer.format(), Some(total), Unit::Chunks);
    match input.out {
        None => {
            transfer::export(store, &collections, printer.writer(), &progress).await.map_err(|e| match e {
                TransferError::Write(source) => CliError::stdout(source),
                other => other.into(),
            })?;
            progress.finish();
            printer.flush()
        }
        Some(out) => {
            let file_error = |source: std::io::Error| CliError::Output { what: out.display().to_string(), source };
            let temp = tempfile::NamedTempFile::new_in(folder_of(&out)).map_err(file_error)?;
            let mut writer = BufWriter::new(temp);
            let chunks = transfer::export(store, &collections, &mut writer, &progress).await.map_err(|e| match e {
                TransferError::Write(source) => file_error(source),
                other => other.into(),
            })?;
            let temp = writer.into_inner().map_err(|e| file_error(e.into_error()))?;
            temp.as_file().sync_all().map_err(file_error)?;
            temp.persist(&out).map_err(|e| file_error(e.error))?;
            progress.finish();
            printer.report(&ExportReport { out, collections: collections.len() as u64, chunks })
        }
    }
}
