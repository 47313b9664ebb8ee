//! `brainstore search`: one query from flags, or many from `--queries FILE` (JSON lines in, JSON lines out, timing on stderr).

use std::io::BufReader;
use std::path::Path;
use std::time::Instant;

use storage_core::transfer::{LineReader, query_line};
use storage_core::views::SearchResults;
use storage_core::{DocumentFilter, Embedding, SearchDefaults, SearchInput, SearchMode, SearchRequest, StorageError};

use super::fields::{self, embedding_value};
use super::{Context, flag_error, parse_where};
use crate::args::{ModeArg, SearchArgs};
use crate::config::AppConfig;
use crate::error::{CliError, Result};
use crate::output::Printer;
use crate::progress::note;

/// A validated search: one request, or a batch with an id per request.
#[derive(Debug)]
pub(crate) enum Input {
    One(SearchRequest),
    Batch(Vec<(String, SearchRequest)>),
}

/// Builds the request(s) and checks everything that does not need the store. The flags are defaults over
/// the `search:` section, and a query line's fields over the flags.
pub(crate) fn parse(args: SearchArgs, app: &AppConfig) -> Result<Input> {
    let flag_mode = args.mode.map(|mode| match mode {
        ModeArg::Vector => SearchMode::Vector,
        ModeArg::Keyword => SearchMode::Keyword,
        ModeArg::Hybrid => SearchMode::Hybrid,
    });
    let defaults = SearchDefaults {
        mode: flag_mode.or(app.search.mode),
        top_k: args.top_k.unwrap_or(app.search.top_k),
        keyword_match: args.keyword_match.unwrap_or(app.search.keyword_match),
        min_score: args.min_score.or(app.search.min_score),
        fusion: app.search.fusion,
    };
    if let Some(path) = &args.queries {
        return Ok(Input::Batch(parse_queries(path, &defaults, args.explain)?));
    }
    let embedding = args.embedding.as_deref().map(parse_embedding_flag).transpose()?;
    let filter = parse_where(args.where_filter.as_deref());
    let document_filter = args
        .where_document
        .as_deref()
        .map(|text| DocumentFilter::from_json_str(text).map_err(|e| flag_error("where_document", e)));
    let input = SearchInput {
        text: args.text,
        embedding,
        filter: filter?,
        document_filter: document_filter.transpose()?,
        explain: args.explain,
        ..SearchInput::default()
    };
    Ok(Input::One(defaults.request(input).map_err(|e| flag_error("", e))?))
}

/// `--embedding '[0.1, …]'` or `--embedding @file.json`: the JSON of [`fields::json`]; a bad value is named
/// as `--embedding: embedding[i]: …`, in the words of core's search errors.
fn parse_embedding_flag(text: &str) -> Result<Embedding> {
    embedding_value(fields::json("--embedding", text)?, "embedding").map_err(|e| flag_error("embedding", e))
}

fn parse_queries(path: &Path, defaults: &SearchDefaults, explain: bool) -> Result<Vec<(String, SearchRequest)>> {
    let file =
        std::fs::File::open(path).map_err(|source| CliError::Input { path: path.display().to_string(), source })?;
    let mut reader = LineReader::new(BufReader::new(file));
    let mut queries = Vec::new();
    while let Some((line, text)) =
        reader.next_line().map_err(|source| CliError::Input { path: path.display().to_string(), source })?
    {
        let query = text
            .and_then(|text| query_line(text, defaults, explain))
            .map_err(|source| CliError::Line { line, source })?;
        queries.push(query);
    }
    if queries.is_empty() {
        return Err(CliError::usage(format!("--queries: {} holds no queries", path.display())));
    }
    Ok(queries)
}

/// Runs the query (or queries). Batch results are JSON lines whatever the format; timing goes to stderr.
pub(crate) async fn run(ctx: &Context, input: Input, printer: &mut Printer) -> Result<()> {
    let store = ctx.store();
    match input {
        Input::One(request) => {
            let started = Instant::now();
            let hits = store.search(&ctx.collection, &request).await?;
            let took_ms = started.elapsed().as_secs_f64() * 1000.0;
            if hits.is_empty() && request.mode != SearchMode::Keyword {
                explain_empty_vector_search(ctx).await?;
            }
            printer.report(&SearchResults::new(request.mode, took_ms, hits))
        }
        Input::Batch(queries) => {
            // Check every query against the collection's space first, so a bad one fails before any runs.
            let space = store.embedding_space(&ctx.collection).await?;
            for (id, request) in &queries {
                request.validate_before_embedding(&ctx.collection, space.as_ref()).map_err(|e| match e {
                    StorageError::InvalidInput { field, reason } => {
                        CliError::Storage(StorageError::invalid(format!("query `{id}`: {field}"), reason))
                    }
                    other => CliError::Storage(other),
                })?;
            }
            let run_started = Instant::now();
            let mut timings = Vec::with_capacity(queries.len());
            for (id, request) in queries {
                let started = Instant::now();
                let hits = store.search(&ctx.collection, &request).await?;
                let took_ms = started.elapsed().as_secs_f64() * 1000.0;
                timings.push(took_ms);
                let mut report = SearchResults::new(request.mode, took_ms, hits);
                report.id = Some(id);
                printer.json_line(&report)?;
            }
            printer.flush()?;
            note(&timing_summary(&mut timings, run_started.elapsed().as_secs_f64()));
            Ok(())
        }
    }
}

/// After a vector or hybrid search that found nothing, says on stderr when chunks without an embedding are
/// why (they are reachable by keyword only), instead of a bare "no results".
async fn explain_empty_vector_search(ctx: &Context) -> Result<()> {
    let info = ctx.store().collection(&ctx.collection).await?;
    if let Some(warning) = info.as_ref().and_then(storage_core::CollectionInfo::unembedded_warning) {
        note(&format!("{warning}; `brainstore search --mode keyword TEXT` can"));
    }
    Ok(())
}

/// `N queries: p50 X ms, p95 Y ms, Z queries/s` (nearest-rank percentiles).
fn timing_summary(timings: &mut [f64], seconds: f64) -> String {
    timings.sort_by(f64::total_cmp);
    let percentile = |p: f64| -> f64 {
        if timings.is_empty() {
            return 0.0;
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // a rank within 1..=len
        let rank = ((p / 100.0) * timings.len() as f64).ceil().max(1.0) as usize;
        timings[rank.min(timings.len()) - 1]
    };
    let per_second = if seconds > 0.0 { timings.len() as f64 / seconds } else { 0.0 };
    format!(
        "{} queries: p50 {:.2} ms, p95 {:.2} ms, {:.1} queries/s",
        timings.len(),
        percentile(50.0),
        percentile(95.0),
        per_second
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut timings: Vec<f64> = (1..=100).map(f64::from).collect();
        let text = timing_summary(&mut timings, 2.0);
        assert_eq!(text, "100 queries: p50 50.00 ms, p95 95.00 ms, 50.0 queries/s");
        let mut one = vec![3.0];
        assert!(timing_summary(&mut one, 1.0).starts_with("1 queries: p50 3.00 ms, p95 3.00 ms"));
    }
}
