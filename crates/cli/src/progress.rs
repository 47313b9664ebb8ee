//! Progress bars (indicatif, on stderr, only on a terminal and never with `--json`) and stderr notes.

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::output::Format;

/// What a bar counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    /// Bytes of an input file, with rows in the message.
    Bytes,
    /// Chunks.
    Chunks,
}

/// A progress bar on stderr, or nothing when stderr is not a terminal or the output is JSON.
#[derive(Debug)]
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar of `total` units (a spinner when the total is unknown), shown only when `format` is human
    /// and stderr is a terminal.
    pub(crate) fn new(format: Format, total: Option<u64>, unit: Unit) -> Self {
        if format == Format::Json || !io::stderr().is_terminal() {
            return Progress { bar: None };
        }
        let bar = match total {
            Some(total) => ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        let template = match (total, unit) {
            (Some(_), Unit::Bytes) => "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}",
            (Some(_), Unit::Chunks) => "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} chunks {msg}",
            (None, _) => "{spinner} [{elapsed_precise}] {msg}",
        };
        // The templates above are literals that indicatif accepts; fall back to its default rather than fail.
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress { bar: Some(bar) }
    }

    /// Moves the bar to `position` and shows `message` (e.g. "12,000 rows, 8,100 rows/s").
    pub(crate) fn update(&self, position: u64, message: String) {
        if let Some(bar) = &self.bar {
            bar.set_position(position);
            bar.set_message(message);
        }
    }

    /// Shows `message` on the bar, where it stays (e.g. "building the vector index"): a stage with no
    /// position of its own. Nothing without a bar.
    pub(crate) fn stage(&self, message: String) {
        if let Some(bar) = &self.bar {
            bar.set_message(message);
        }
    }

    /// Removes the bar; the summary goes to stdout afterwards.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// Writes a line on stderr above the bar (skipped lines, warnings).
    pub(crate) fn note(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| note(message)),
            None => note(message),
        }
    }
}

/// What core's data-movement library reports reaches the bar and stderr.
impl storage_core::transfer::Progress for Progress {
    fn update(&self, position: u64, message: String) {
        Progress::update(self, position, message);
    }

    fn note(&self, message: &str) {
        Progress::note(self, message);
    }

    fn stage(&self, message: String) {
        Progress::stage(self, message);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // An error path leaves the bar behind otherwise, and the error line would share its row.
        self.finish();
    }
}

/// Writes `brainstore: <message>` on stderr. A failed write to stderr has nowhere to be reported.
pub(crate) fn note(message: &str) {
    let mut stderr = io::stderr().lock();
    let _ignored = writeln!(stderr, "brainstore: {message}");
}
