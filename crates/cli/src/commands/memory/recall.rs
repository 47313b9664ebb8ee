//! `memory recall`: a ranked recall from flags (text, embedding, scope, filters, weights), printed with each hit's signals.

use std::time::Instant;

use serde_json::Value;
use storage_core::memory::RecallRequest;
use storage_core::memory::scoring::RecallWeights;
use storage_core::views::Recalled;
use storage_core::{Filter, MAX_QUERY_TEXT_BYTES};

use super::{flag_of, scope};
use crate::args::RecallArgs;
use crate::commands::Context;
use crate::commands::fields;
use crate::config::AppConfig;
use crate::error::{CliError, Result};
use crate::output::Printer;

/// A validated recall.
#[derive(Debug)]
pub(crate) struct Input {
    request: RecallRequest,
}

/// Builds the request; every value is checked here, before the store opens.
pub(super) fn parse(args: RecallArgs, tenant: String, app: &AppConfig) -> Result<Input> {
    let weights = weights(&args, &app.memory.weights)?;
    let mut request = RecallRequest::new(scope(tenant, args.scope)?);
    request.weights = weights;
    if let Some(text) = args.text {
        if text.len() > MAX_QUERY_TEXT_BYTES || text.contains('\0') {
            return Err(CliError::usage(format!("TEXT: must be at most {MAX_QUERY_TEXT_BYTES} bytes without NUL")));
        }
        request.text = Some(text);
    }
    request.embedding = args.embedding.as_deref().map(fields::embedding).transpose()?;
    fields::identifiers("--kind", &args.kinds)?;
    request.kinds = args.kinds;
    fields::identifiers("--tag", &args.tags)?;
    request.tags = args.tags;
    if !args.statuses.is_empty() {
        request.statuses = fields::all_of("--status", &args.statuses)?;
    }
    request.tiers = fields::all_of("--tier", &args.tiers)?;
    request.filter = args
        .where_filter
        .as_deref()
        .map(|text| Filter::from_json_str(text).map_err(|e| fields::named("--where", e)))
        .transpose()?;
    request.limit = fields::limit("--limit", args.limit, request.limit)?;
    request.candidates = fields::limit("--candidates", args.candidates, request.candidates)?;
    request.now = fields::opt_time("--at", args.at.as_deref())?;
    request.validate().map_err(|e| fields::named_field(e, flag_of))?;
    Ok(Input { request })
}

/// The configured weights, overlaid with `--weights` JSON, then with the individual flags.
fn weights(args: &RecallArgs, configured: &RecallWeights) -> Result<RecallWeights> {
    let mut weights = *configured;
    if let Some(text) = &args.weights {
        let Value::Object(given) = fields::json("--weights", text)? else {
            return Err(CliError::usage("--weights: must be a JSON object, e.g. '{\"semantic\": 0.6}'"));
        };
        let mut merged = match serde_json::to_value(weights) {
            Ok(Value::Object(map)) => map,
            _ => return Err(CliError::Internal("recall weights do not serialise to an object".to_owned())),
        };
        merged.extend(given);
        weights =
            serde_json::from_value(Value::Object(merged)).map_err(|e| CliError::usage(format!("--weights: {e}")))?;
    }
    let flags = [
        (&mut weights.semantic, args.w_semantic),
        (&mut weights.keyword, args.w_keyword),
        (&mut weights.recency, args.w_recency),
        (&mut weights.importance, args.w_importance),
        (&mut weights.pinned_boost, args.pinned_boost),
        (&mut weights.half_life_hours, args.half_life_hours),
    ];
    for (slot, value) in flags {
        if let Some(value) = value {
            *slot = value;
        }
    }
    weights.validate().map_err(|e| fields::named_field(e, weight_flag))?;
    Ok(weights)
}

/// The flag of a weight named in core's error (`weights.semantic` → `--w-semantic`).
fn weight_flag(field: &str) -> String {
    match field.strip_prefix("weights.") {
        Some("pinned_boost") => "--pinned-boost".to_owned(),
        Some("half_life_hours") => "--half-life-hours".to_owned(),
        Some(name) => format!("--w-{name}"),
        None => "--weights".to_owned(),
    }
}

/// Recalls and prints the hits with their signals.
pub(super) async fn run(ctx: &Context, input: Input, printer: &mut Printer) -> Result<()> {
    let started = Instant::now();
    let hits = ctx.stores.memories.recall(&input.request).await.map_err(|e| fields::named_field(e, flag_of))?;
    printer.report(&Recalled::new(started.elapsed().as_secs_f64() * 1000.0, hits))
}
