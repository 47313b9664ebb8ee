//! Flag values shared by the memory, session and task commands (tenant, ids, times, JSON, enums, limits, content), checked before any store opens, every error naming its flag.

use std::io::Read;
use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use storage_core::session::check_identifier;
use storage_core::{Embedding, Metadata, StorageError};
use uuid::Uuid;

use crate::args::PageArgs;
use crate::config::AppConfig;
use crate::error::{CliError, Result};
use storage_core::transfer::json_error_text;

/// The largest page any memory, session or task listing returns (core's limit).
pub(crate) const MAX_PAGE: usize = storage_core::MAX_PAGE_LIMIT;

/// The tenant: `--tenant`, else the configuration's `tenant` (default `default`).
pub(crate) fn tenant(flag: Option<String>, app: &AppConfig) -> Result<String> {
    match flag {
        Some(tenant) => {
            check_identifier("tenant", &tenant).map_err(|e| named("--tenant", e))?;
            Ok(tenant)
        }
        None => Ok(app.tenant.clone()),
    }
}

/// An identifier-like value (session id, agent, kind…): 1 to 200 bytes without NUL.
pub(crate) fn identifier(flag: &str, value: &str) -> Result<()> {
    check_identifier(flag, value).map_err(|e| named(flag, e))
}

/// Every value of a repeated identifier flag.
pub(crate) fn identifiers(flag: &str, values: &[String]) -> Result<()> {
    values.iter().try_for_each(|value| identifier(flag, value))
}

/// A UUID argument (memory or task id, lease id).
pub(crate) fn uuid(name: &str, text: &str) -> Result<Uuid> {
    Uuid::parse_str(text.trim()).map_err(|_| CliError::usage(format!("{name}: `{text}` is not a UUID")))
}

/// A time: RFC 3339 (`2026-01-31T12:00:00Z`), or from now: `+90s`, `+30m`, `+12h`, `+7d`.
pub(crate) fn time(flag: &str, text: &str) -> Result<DateTime<Utc>> {
    let bad = || {
        CliError::usage(format!(
            "{flag}: `{text}` is not a time; use RFC 3339 (2026-01-31T12:00:00Z) or a delay from now (+90s, +30m, \
             +12h, +7d)"
        ))
    };
    let text = text.trim();
    if let Some(delay) = text.strip_prefix('+') {
        let split = delay.find(|c: char| !c.is_ascii_digit()).unwrap_or(delay.len());
        let (number, unit) = delay.split_at(split);
        let amount: i64 = number.parse().map_err(|_| bad())?;
        let span = match unit {
            "s" | "" => Duration::try_seconds(amount),
            "m" => Duration::try_minutes(amount),
            "h" => Duration::try_hours(amount),
            "d" => Duration::try_days(amount),
            _ => None,
        };
        return span.and_then(|span| Utc::now().checked_add_signed(span)).ok_or_else(bad);
    }
    DateTime::parse_from_rfc3339(text).map(|time| time.with_timezone(&Utc)).map_err(|_| bad())
}

/// An optional time flag.
pub(crate) fn opt_time(flag: &str, text: Option<&str>) -> Result<Option<DateTime<Utc>>> {
    text.map(|text| time(flag, text)).transpose()
}

/// A JSON value given inline, or as `@FILE`.
pub(crate) fn json(flag: &str, text: &str) -> Result<Value> {
    let owned;
    let source = match text.strip_prefix('@') {
        Some(path) => {
            owned =
                std::fs::read_to_string(path).map_err(|source| CliError::Input { path: path.to_owned(), source })?;
            owned.as_str()
        }
        None => text,
    };
    serde_json::from_str(source)
        .map_err(|e| CliError::usage(format!("{flag}: not valid JSON: {}", json_error_text(&e))))
}

/// A `--metadata` JSON object (empty when absent).
pub(crate) fn metadata(text: Option<&str>) -> Result<Metadata> {
    match text {
        Some(text) => Metadata::from_value(json("--metadata", text)?).map_err(|e| named("--metadata", e)),
        None => Ok(Metadata::new()),
    }
}

/// An `--embedding` given inline or as `@FILE`; errors name the value (`--embedding[2]: …`).
pub(crate) fn embedding(text: &str) -> Result<Embedding> {
    let value = json("--embedding", text)?;
    embedding_value(value, "embedding").map_err(|e| named("--embedding", e))
}

/// An embedding from a JSON value through core's serde shape (finite numbers that fit an f32, at least one);
/// errors name `field[i]`.
pub(crate) fn embedding_value(value: Value, field: &str) -> std::result::Result<Embedding, StorageError> {
    storage_core::from_json_value::<Embedding>(value).map_err(|e| e.within(field))
}

/// One value of a core enum (`MemoryStatus`, `TaskStatus`…), the error naming the flag and the valid values.
pub(crate) fn one_of<T: FromStr<Err = StorageError>>(flag: &str, text: &str) -> Result<T> {
    text.trim().parse::<T>().map_err(|e| match e {
        StorageError::InvalidInput { reason, .. } => CliError::usage(format!("{flag}: {reason}")),
        other => CliError::Storage(other),
    })
}

/// Every value of a repeated enum flag.
pub(crate) fn all_of<T: FromStr<Err = StorageError>>(flag: &str, texts: &[String]) -> Result<Vec<T>> {
    texts.iter().map(|text| one_of(flag, text)).collect()
}

/// A page size: the flag, else `default`; core's rule (1 to [`MAX_PAGE`]).
pub(crate) fn limit(flag: &str, value: Option<usize>, default: usize) -> Result<usize> {
    let limit = value.unwrap_or(default);
    storage_core::check_page_limit(flag, limit).map_err(|e| named(flag, e))?;
    Ok(limit)
}

/// `--limit` and `--offset` of a list command as (limit, offset): the page size defaults to 50 for every list.
pub(crate) fn page(page: PageArgs) -> Result<(usize, usize)> {
    Ok((limit("--limit", page.limit, 50)?, page.offset))
}

/// A duration in (possibly fractional) seconds as whole milliseconds, from 1 ms to `max_seconds`.
pub(crate) fn seconds_to_ms(flag: &str, seconds: f64, max_seconds: u64) -> Result<u64> {
    #[allow(clippy::cast_precision_loss)] // a bound of at most a day in seconds is exact in an f64
    let max = max_seconds as f64;
    if !seconds.is_finite() || seconds < 0.001 || seconds > max {
        return Err(CliError::usage(format!("{flag}: must be between 0.001 and {max_seconds} seconds, got {seconds}")));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked: 1 ..= max_seconds·1000
    Ok((seconds * 1000.0).round() as u64)
}

/// Content given as an argument, or read from `--file FILE` (`-`: standard input).
pub(crate) fn content(inline: Option<String>, file: Option<&Path>) -> Result<String> {
    match (inline, file) {
        (Some(text), _) => Ok(text),
        (None, Some(path)) if path == Path::new("-") => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|source| CliError::Input { path: "standard input".to_owned(), source })?;
            Ok(text)
        }
        (None, Some(path)) => {
            std::fs::read_to_string(path).map_err(|source| CliError::Input { path: path.display().to_string(), source })
        }
        (None, None) => Err(CliError::usage("CONTENT: give the content, or --file FILE")),
    }
}

/// Names the flag in core's validation error: `embedding[2]: …` from `--embedding` becomes
/// `--embedding[2]: …`, `tenant: …` becomes `--tenant: …`. Other variants keep their exit code.
pub(crate) fn named(flag: &str, error: StorageError) -> CliError {
    match error {
        StorageError::InvalidInput { field, reason } => {
            let bare = flag.trim_start_matches('-').replace('-', "_");
            let message = match field.strip_prefix(bare.as_str()) {
                Some("") => format!("{flag}: {reason}"),
                Some(rest) if rest.starts_with(['[', '.']) => format!("{flag}{rest}: {reason}"),
                _ if field.is_empty() || field == flag => format!("{flag}: {reason}"),
                _ => format!("{flag}: {field}: {reason}"),
            };
            CliError::Usage(message)
        }
        other => CliError::Storage(other),
    }
}

/// Like [`named`], for a record checked as a whole (`NewMemory::validate`): the field decides the flag
/// through `flag_of`, e.g. `importance` → `--importance`, `content` → `CONTENT`.
pub(crate) fn named_field(error: StorageError, flag_of: impl Fn(&str) -> String) -> CliError {
    match error {
        StorageError::InvalidInput { field, reason } => CliError::Usage(format!("{}: {reason}", flag_of(&field))),
        other => CliError::Storage(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: Result<impl std::fmt::Debug>) -> String {
        result.map(|value| format!("ok {value:?}")).unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn times_are_rfc3339_or_a_delay() {
        let at = time("--at", "2026-01-31T12:00:00+01:00").unwrap();
        assert_eq!(at.to_rfc3339(), "2026-01-31T11:00:00+00:00");
        let later = time("--not-before", "+2h").unwrap();
        let delta = (later - Utc::now()).num_minutes();
        assert!((119..=120).contains(&delta), "{delta}");
        assert!(message(time("--at", "tomorrow")).starts_with("--at: `tomorrow` is not a time"));
        assert!(message(time("--at", "+5w")).starts_with("--at: `+5w` is not a time"));
    }

    #[test]
    fn errors_name_the_flag() {
        assert_eq!(message(uuid("ID", "nope")), "ID: `nope` is not a UUID");
        assert_eq!(message(embedding("[1, \"x\"]")), "--embedding[1]: invalid type: string \"x\", expected f64");
        assert!(message(json("--payload", "{")).starts_with("--payload: not valid JSON"));
        assert_eq!(message(metadata(Some("[1]"))), "--metadata: must be a JSON object, got an array");
        assert_eq!(
            message(one_of::<storage_core::task::TaskStatus>("--status", "done")),
            "--status: `done` is not one of pending, running, completed, dead_letter, cancelled"
        );
        assert_eq!(message(limit("--limit", Some(0), 10)), "--limit: must be between 1 and 1000, got 0");
        assert_eq!(message(seconds_to_ms("--lease", 1.5, 86_400)), "ok 1500");
        assert!(message(seconds_to_ms("--lease", 0.0, 86_400)).starts_with("--lease: must be between"));
        assert_eq!(message(identifier("--agent", "")), "--agent: must be 1 to 200 bytes without NUL");
    }
}
