//! Search results: the DESIGN `--json` shape and a ranked table for people.

use std::io::{self, Write};

use serde::Serialize;
use storage_core::{Metadata, SearchHit, SearchMode};

use super::table::{Align, Table};
use super::{Report, one_line};

/// How much chunk text a result row shows.
const TEXT_WIDTH: usize = 64;
/// How much of a title a result row shows.
const TITLE_WIDTH: usize = 28;

/// One hit, flattened to the DESIGN shape: leg details appear only with `--explain`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct HitView {
    pub(crate) id: String,
    pub(crate) text: String,
    pub(crate) metadata: Metadata,
    pub(crate) score: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) distance: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) vector_rank: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) vector_score: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) keyword_rank: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) keyword_score: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) matched_terms: Option<Vec<String>>,
}

impl From<SearchHit> for HitView {
    fn from(hit: SearchHit) -> Self {
        HitView {
            id: hit.id,
            text: hit.text,
            metadata: hit.metadata,
            score: hit.score,
            distance: hit.distance,
            vector_rank: hit.vector.map(|leg| leg.rank),
            vector_score: hit.vector.map(|leg| leg.score),
            keyword_rank: hit.keyword.map(|leg| leg.rank),
            keyword_score: hit.keyword.map(|leg| leg.score),
            matched_terms: hit.matched_terms,
        }
    }
}

/// One query's answer: `{"mode","took_ms","results":[…]}`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct SearchReport {
    /// The query's id, for batch search lines only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) id: Option<String>,
    pub(crate) mode: SearchMode,
    pub(crate) took_ms: f64,
    pub(crate) results: Vec<HitView>,
}

impl SearchReport {
    /// A report of `hits`, found in `took_ms`.
    pub(crate) fn new(mode: SearchMode, took_ms: f64, hits: Vec<SearchHit>) -> Self {
        SearchReport {
            id: None,
            mode,
            took_ms: round_ms(took_ms),
            results: hits.into_iter().map(HitView::from).collect(),
        }
    }
}

/// Milliseconds to three decimals: enough to compare, short to read.
fn round_ms(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

fn title_of(metadata: &Metadata) -> Option<&str> {
    metadata.get("title").and_then(|v| v.as_str())
}

fn leg(rank: Option<u32>, score: Option<f32>) -> String {
    match (rank, score) {
        (Some(rank), Some(score)) => format!("#{rank} {score:.3}"),
        _ => "-".to_owned(),
    }
}

impl Report for SearchReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.results.is_empty() {
            return writeln!(out, "no results ({} search, {:.1} ms)", self.mode, self.took_ms);
        }
        let explain = self.results.iter().any(|hit| hit.vector_rank.is_some() || hit.keyword_rank.is_some());
        // A title that only repeats the id adds nothing.
        let titled = self.results.iter().any(|hit| title_of(&hit.metadata).is_some_and(|title| title != hit.id));
        let mut columns = vec![("#", Align::Right), ("score", Align::Right), ("id", Align::Left)];
        if explain {
            columns.extend([("vector", Align::Left), ("keyword", Align::Left)]);
        }
        if titled {
            columns.push(("title", Align::Left));
        }
        columns.push(("text", Align::Left));
        let mut table = Table::new(&columns);
        for (idx, hit) in self.results.iter().enumerate() {
            let mut row = vec![(idx + 1).to_string(), format!("{:.4}", hit.score), one_line(&hit.id, 40)];
            if explain {
                row.push(leg(hit.vector_rank, hit.vector_score));
                row.push(leg(hit.keyword_rank, hit.keyword_score));
            }
            if titled {
                row.push(one_line(title_of(&hit.metadata).unwrap_or(""), TITLE_WIDTH));
            }
            row.push(one_line(&hit.text, TEXT_WIDTH));
            table.row(row);
        }
        table.write(out)?;
        for hit in self.results.iter().filter(|hit| hit.matched_terms.as_ref().is_some_and(|t| !t.is_empty())) {
            let terms = hit.matched_terms.as_deref().unwrap_or_default().join(", ");
            writeln!(out, "  {}: matched {terms}", hit.id)?;
        }
        let plural = if self.results.len() == 1 { "" } else { "s" };
        writeln!(out, "{} result{plural} ({} search, {:.1} ms)", self.results.len(), self.mode, self.took_ms)
    }
}
