//! Search results: core's `SearchResults` view (the `--json` shape, shared with the HTTP API) as a ranked table for people.

use std::io::{self, Write};

use super::table::{Align, Column, Table};
use super::{Report, one_line};
use storage_core::Metadata;
use storage_core::views::{SearchResult, SearchResults};

/// How much chunk text a result row shows.
const TEXT_WIDTH: usize = 64;
/// How much of a title a result row shows.
const TITLE_WIDTH: usize = 28;

fn title_of(metadata: &Metadata) -> Option<&str> {
    metadata.get("title").and_then(|v| v.as_str())
}

fn leg(rank: Option<u32>, score: Option<f32>) -> String {
    match (rank, score) {
        (Some(rank), Some(score)) => format!("#{rank} {score:.3}"),
        _ => "-".to_owned(),
    }
}

impl Report for SearchResults {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.results.is_empty() {
            return writeln!(out, "no results ({} search, {:.1} ms)", self.mode, self.took_ms);
        }
        let explain = self.results.iter().any(|hit| hit.vector_rank.is_some() || hit.keyword_rank.is_some());
        // A title that only repeats the id adds nothing.
        let titled = self.results.iter().any(|hit| title_of(&hit.metadata).is_some_and(|title| title != hit.id));
        let mut columns: Vec<Column<(usize, &SearchResult)>> = vec![
            ("#", Align::Right, |(idx, _)| (idx + 1).to_string()),
            ("score", Align::Right, |(_, hit)| format!("{:.4}", hit.score)),
            ("id", Align::Left, |(_, hit)| one_line(&hit.id, 40)),
        ];
        if explain {
            columns.push(("vector", Align::Left, |(_, hit)| leg(hit.vector_rank, hit.vector_score)));
            columns.push(("keyword", Align::Left, |(_, hit)| leg(hit.keyword_rank, hit.keyword_score)));
        }
        if titled {
            columns
                .push(("title", Align::Left, |(_, hit)| one_line(title_of(&hit.metadata).unwrap_or(""), TITLE_WIDTH)));
        }
        columns.push(("text", Align::Left, |(_, hit)| one_line(&hit.text, TEXT_WIDTH)));
        Table::of(self.results.iter().enumerate(), &columns).write(out)?;
        for hit in self.results.iter().filter(|hit| hit.matched_terms.as_ref().is_some_and(|t| !t.is_empty())) {
            let terms = hit.matched_terms.as_deref().unwrap_or_default().join(", ");
            writeln!(out, "  {}: matched {terms}", hit.id)?;
        }
        let plural = if self.results.len() == 1 { "" } else { "s" };
        writeln!(out, "{} result{plural} ({} search, {:.1} ms)", self.results.len(), self.mode, self.took_ms)
    }
}
