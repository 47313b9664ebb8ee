//! How memory, session and task values are stored: app-clock times as microseconds, JSON and uuids as text.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use sea_orm::{DbErr, QueryResult, TryGetable};
use serde::Serialize;
use serde::de::DeserializeOwned;
use storage_core::{Embedding, StorageError};
use uuid::Uuid;

/// Now, from the application clock, truncated to the stored precision (microseconds) so that a value a
/// write returns equals the value a later read returns.
pub(crate) fn now() -> DateTime<Utc> {
    truncate(Utc::now())
}

/// `time` at the stored precision.
pub(crate) fn truncate(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(time.timestamp_micros()).unwrap_or(time)
}

/// The stored form of a time.
pub(crate) fn micros(time: DateTime<Utc>) -> i64 {
    time.timestamp_micros()
}

/// A time back from its stored form.
pub(crate) fn time(micros: i64) -> Result<DateTime<Utc>, DbErr> {
    DateTime::from_timestamp_micros(micros).ok_or_else(|| DbErr::Type(format!("timestamp {micros} out of range")))
}

/// A column by name.
pub(crate) fn get<T: TryGetable>(row: &QueryResult, column: &str) -> Result<T, DbErr> {
    row.try_get("", column)
}

/// A time column by name.
pub(crate) fn get_time(row: &QueryResult, column: &str) -> Result<DateTime<Utc>, DbErr> {
    time(get(row, column)?)
}

/// A nullable time column by name.
pub(crate) fn get_opt_time(row: &QueryResult, column: &str) -> Result<Option<DateTime<Utc>>, DbErr> {
    get::<Option<i64>>(row, column)?.map(time).transpose()
}

/// A JSON text column by name.
pub(crate) fn get_json<T: DeserializeOwned>(row: &QueryResult, column: &str) -> Result<T, DbErr> {
    let text: String = get(row, column)?;
    serde_json::from_str(&text).map_err(|e| DbErr::Json(format!("column {column}: {e}")))
}

/// A nullable JSON text column by name.
pub(crate) fn get_opt_json<T: DeserializeOwned>(row: &QueryResult, column: &str) -> Result<Option<T>, DbErr> {
    let text: Option<String> = get(row, column)?;
    text.map(|text| serde_json::from_str(&text).map_err(|e| DbErr::Json(format!("column {column}: {e}")))).transpose()
}

/// A value as JSON text.
pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> Result<String, DbErr> {
    serde_json::to_string(value).map_err(|e| DbErr::Json(e.to_string()))
}

/// A uuid column by name.
pub(crate) fn get_uuid(row: &QueryResult, column: &str) -> Result<Uuid, DbErr> {
    let text: String = get(row, column)?;
    Uuid::parse_str(&text).map_err(|e| DbErr::Type(format!("column {column}: {e}")))
}

/// A nullable uuid column by name.
pub(crate) fn get_opt_uuid(row: &QueryResult, column: &str) -> Result<Option<Uuid>, DbErr> {
    let text: Option<String> = get(row, column)?;
    text.map(|text| Uuid::parse_str(&text).map_err(|e| DbErr::Type(format!("column {column}: {e}")))).transpose()
}

/// An enum column stored as its `as_str` name.
pub(crate) fn get_enum<T: FromStr<Err = StorageError>>(row: &QueryResult, column: &str) -> Result<T, DbErr> {
    let text: String = get(row, column)?;
    text.parse().map_err(|e: StorageError| DbErr::Type(format!("column {column}: {e}")))
}

/// An unsigned count or version column.
pub(crate) fn get_u64(row: &QueryResult, column: &str) -> Result<u64, DbErr> {
    let value: i64 = get(row, column)?;
    u64::try_from(value).map_err(|e| DbErr::Type(format!("column {column}: {e}")))
}

/// A nullable f32 vector blob column by name.
pub(crate) fn get_embedding(row: &QueryResult, column: &str) -> Result<Option<Embedding>, DbErr> {
    crate::ops::parse_embedding(get(row, column)?)
}

/// A page size or offset as a bound value.
pub(crate) fn count_value(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
