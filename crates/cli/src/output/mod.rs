//! The printer: every result reaches stdout through it, as human text or as JSON, so no command branches on `--json`.

mod memory;
mod reports;
mod search;
mod session;
mod table;
mod task;

use std::io::{self, BufWriter, Stdout, Write};

use serde::Serialize;

pub(crate) use self::memory::{ExpireReport, MemoryListReport, MemoryReport, StaleReport, time_text};
pub(crate) use self::reports::{
    ConfigReport, ConfigRow, CopyReport, ExportReport, ImportReport, InitReport, MigrationsReport, ResetReport,
    StatusReport,
};
pub(crate) use self::session::{AgentReport, ArtifactReport, SessionReport};
pub(crate) use self::task::TaskReport;
use crate::error::CliError;

/// A result that can be shown both ways: its `Serialize` form is the `--json` document (the docs/design.md
/// shapes), and `human` writes the text a person reads.
pub(crate) trait Report: Serialize {
    /// Writes the human form: aligned, truncated, ending with a newline.
    fn human(&self, out: &mut dyn Write) -> io::Result<()>;
}

/// How results are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// Text for a person.
    Human,
    /// One JSON document per result (one JSON line per item for streams).
    Json,
}

/// Writes results to stdout. Buffered; every write error (a closed pipe included) is returned, never
/// a panic, so `brainstore … | head` ends quietly with exit 0.
pub(crate) struct Printer {
    format: Format,
    out: BufWriter<Stdout>,
}

impl Printer {
    /// A printer on stdout.
    pub(crate) fn new(format: Format) -> Self {
        Printer { format, out: BufWriter::new(io::stdout()) }
    }

    /// The output format (progress bars are off with `--json`).
    pub(crate) fn format(&self) -> Format {
        self.format
    }

    /// Writes one result: a JSON document with `--json`, its human form otherwise.
    pub(crate) fn report<R: Report>(&mut self, report: &R) -> crate::error::Result<()> {
        match self.format {
            Format::Json => {
                serde_json::to_writer(&mut self.out, report).map_err(|e| CliError::stdout(e.into()))?;
                self.out.write_all(b"\n").map_err(CliError::stdout)?;
            }
            Format::Human => report.human(&mut self.out).map_err(CliError::stdout)?,
        }
        self.out.flush().map_err(CliError::stdout)
    }

    /// Writes one line of a JSON-lines stream (batch search results, export), whatever the format:
    /// these streams are for programs.
    pub(crate) fn json_line<T: Serialize>(&mut self, item: &T) -> crate::error::Result<()> {
        write_json_line(&mut self.out, item).map_err(CliError::stdout)
    }

    /// The raw stdout writer, for streams that another module frames (export).
    pub(crate) fn writer(&mut self) -> &mut dyn Write {
        &mut self.out
    }

    /// Flushes stdout.
    pub(crate) fn flush(&mut self) -> crate::error::Result<()> {
        self.out.flush().map_err(CliError::stdout)
    }
}

/// Writes `item` as one compact JSON line.
pub(crate) fn write_json_line<T: Serialize>(out: &mut dyn Write, item: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, item).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// `text` on one line, cut to `max` characters with an ellipsis, so a table row stays one row.
pub(crate) fn one_line(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let mut cut: String = flat.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_flattens_and_truncates() {
        assert_eq!(one_line("a\n b\tc", 10), "a b c");
        assert_eq!(one_line("abcdefghij", 5), "abcd…");
        assert_eq!(one_line("ééééé", 5), "ééééé");
    }
}
