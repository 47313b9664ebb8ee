//! `EmbeddedConfig`: where the store lives and how it searches, validated before anything opens.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use storage_core::TextLanguage;

use crate::error::EmbeddedError;

/// The database file inside the data dir.
pub const DB_FILE_NAME: &str = "brainstore.db";

/// Settings of the embedded backend. Every key is optional; unknown keys are refused.
///
/// | key | default | meaning |
/// |---|---|---|
/// | `data_dir` | `./.brainstore` | the folder holding `brainstore.db` and its `-wal`/`-shm` files |
/// | `language` | `english` | keyword search language: `english` (Porter stemming, English stop words) or `simple` (neither) |
/// | `busy_timeout_ms` | `5000` | how long a writer waits for another process's write lock before failing with "store is busy" |
/// | `max_connections` | `4` | SQLite read connections, run in parallel; writes take one more connection of their own, one at a time |
/// | `exact_search_below` | `20000` | collections with fewer vectors are always searched exactly |
/// | `oversampling` | `40` | the binary pre-selection keeps `top_k × oversampling` candidates for exact re-scoring |
/// | `min_candidates` | `1000` | ... and never fewer than this many |
/// | `search_threads` | `0` | threads of one vector scan; `0` uses every core |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmbeddedConfig {
    /// The folder holding the store. `initialize` creates it; nothing else writes to disk before that.
    pub data_dir: PathBuf,
    /// Keyword search language. The keyword index is built with it, so changing it rebuilds the index at
    /// the next `initialize`.
    pub language: TextLanguage,
    /// Milliseconds a writer waits for the write lock held by another process or connection.
    pub busy_timeout_ms: u64,
    /// SQLite read connections (1 to 64); writes go through one more connection of their own.
    pub max_connections: u32,
    /// Below this many vectors a collection is scanned exactly; at or above it, unfiltered searches use
    /// binary pre-selection with exact re-scoring. Filtered searches are always exact.
    pub exact_search_below: usize,
    /// Candidates kept per requested hit by the binary pre-selection (1 to 1000).
    pub oversampling: usize,
    /// The fewest candidates the binary pre-selection keeps.
    pub min_candidates: usize,
    /// Threads one vector scan uses; 0 means every available core.
    pub search_threads: usize,
}

impl Default for EmbeddedConfig {
    fn default() -> Self {
        EmbeddedConfig {
            data_dir: PathBuf::from("./.brainstore"),
            language: TextLanguage::English,
            busy_timeout_ms: 5_000,
            max_connections: 4,
            exact_search_below: 20_000,
            oversampling: 40,
            min_candidates: 1_000,
            search_threads: 0,
        }
    }
}

impl EmbeddedConfig {
    /// The default settings for a store in `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        EmbeddedConfig { data_dir: data_dir.into(), ..EmbeddedConfig::default() }
    }

    /// The database file's path.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join(DB_FILE_NAME)
    }

    /// Checks every value; the error names the key.
    pub fn validate(&self) -> Result<(), EmbeddedError> {
        let fail = |field: &str, reason: String| Err(EmbeddedError::Config { field: field.to_owned(), reason });
        if self.data_dir.as_os_str().is_empty() {
            return fail("data_dir", "must not be empty".to_owned());
        }
        if self.data_dir.to_str().is_none() {
            return fail("data_dir", "must be valid UTF-8".to_owned());
        }
        if self.busy_timeout_ms > 600_000 {
            return fail(
                "busy_timeout_ms",
                format!("must be at most 600000 (10 minutes), got {}", self.busy_timeout_ms),
            );
        }
        if let Some(reason) = storage_core::out_of_range(self.max_connections, 1, 64) {
            return fail("max_connections", reason);
        }
        if let Some(reason) = storage_core::out_of_range(self.oversampling, 1, 1_000) {
            return fail("oversampling", reason);
        }
        if self.min_candidates > 1_000_000 {
            return fail("min_candidates", format!("must be at most 1000000, got {}", self.min_candidates));
        }
        if self.search_threads > 256 {
            return fail("search_threads", format!("must be at most 256, got {}", self.search_threads));
        }
        Ok(())
    }

    /// Threads a scan may use.
    pub(crate) fn scan_threads(&self) -> usize {
        if self.search_threads > 0 {
            self.search_threads
        } else {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(json: serde_json::Value, expected_error_field: Option<&str>) {
        let result = serde_json::from_value::<EmbeddedConfig>(json.clone())
            .map_err(|e| EmbeddedError::Config { field: "serde".into(), reason: e.to_string() })
            .and_then(|config| config.validate());
        match (result, expected_error_field) {
            (Ok(()), None) => {}
            (Err(EmbeddedError::Config { field, .. }), Some(expected)) => assert_eq!(field, expected, "{json}"),
            (other, expected) => panic!("{json}: got {other:?}, expected error on {expected:?}"),
        }
    }

    #[test]
    fn config_is_validated_and_strict() {
        check(serde_json::json!({}), None);
        check(serde_json::json!({"data_dir": "/tmp/x", "language": "simple", "busy_timeout_ms": 100}), None);
        check(serde_json::json!({"language": "klingon"}), Some("serde"));
        check(serde_json::json!({"unknown_key": 1}), Some("serde"));
        check(serde_json::json!({"data_dir": ""}), Some("data_dir"));
        check(serde_json::json!({"max_connections": 0}), Some("max_connections"));
        check(serde_json::json!({"oversampling": 0}), Some("oversampling"));
        check(serde_json::json!({"busy_timeout_ms": 700000}), Some("busy_timeout_ms"));
    }

    #[test]
    fn defaults_are_documented_values() {
        let config = EmbeddedConfig::default();
        assert_eq!(config.data_dir, PathBuf::from("./.brainstore"));
        assert_eq!(config.language, TextLanguage::English);
        assert_eq!(config.busy_timeout_ms, 5_000);
        assert_eq!(config.db_path(), PathBuf::from("./.brainstore/brainstore.db"));
    }
}
