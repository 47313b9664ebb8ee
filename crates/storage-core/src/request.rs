//! Building a request from what a caller sent: the search defaults (the `search:` configuration section),
//! so the command line and the HTTP server fill the gaps of a query the same way.

use serde::{Deserialize, Serialize};

use crate::fusion::FusionSettings;
use crate::search::{DEFAULT_TOP_K, MAX_TOP_K, SearchMode};

/// What a search uses for each setting its caller left out: the `search:` section of the configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SearchDefaults {
    /// The mode when the query names none; `None` infers it from the inputs (text and embedding: hybrid).
    pub mode: Option<SearchMode>,
    /// Hits when the query does not say.
    pub top_k: usize,
    /// Drop hits below this score when the query does not say.
    pub min_score: Option<f32>,
    /// How hybrid legs are fused.
    pub fusion: FusionSettings,
}

impl Default for SearchDefaults {
    fn default() -> Self {
        SearchDefaults { mode: None, top_k: DEFAULT_TOP_K, min_score: None, fusion: FusionSettings::default() }
    }
}

impl SearchDefaults {
    /// Checks ranges; the error names the key within the section (`top_k`, `fusion.rrf_k`).
    pub fn validate(&self) -> crate::Result<()> {
        if self.top_k == 0 || self.top_k > MAX_TOP_K {
            return Err(crate::StorageError::invalid(
                "top_k",
                format!("must be between 1 and {MAX_TOP_K}, got {}", self.top_k),
            ));
        }
        if let Some(min_score) = self.min_score
            && !(0.0..=1.0).contains(&min_score)
        {
            return Err(crate::StorageError::invalid("min_score", format!("must be between 0 and 1, got {min_score}")));
        }
        self.fusion.validate()
    }
}
