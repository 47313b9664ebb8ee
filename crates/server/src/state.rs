//! `AppState`: what every handler runs against — the four protocols of one open store, and the search defaults.

use std::sync::Arc;

use storage_core::Stores;

use crate::error::ApiResult;
use storage_core::SearchDefaults;

/// Shared by every request; cloning is an `Arc` clone.
#[derive(Clone)]
pub(crate) struct AppState(Arc<Shared>);

pub(crate) struct Shared {
    /// The store, open for the server's lifetime.
    pub(crate) stores: Stores,
    /// `search:` defaults, as `brainstore search` uses them.
    pub(crate) search: SearchDefaults,
}

impl AppState {
    /// State over an open store.
    pub(crate) fn new(stores: Stores, search: SearchDefaults) -> Self {
        AppState(Arc::new(Shared { stores, search }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// A comma-separated list parameter, each item parsed (`statuses=active,disputed`).
pub(crate) fn comma_list<T>(field: &str, text: Option<&str>) -> ApiResult<Vec<T>>
where
    T: std::str::FromStr<Err = storage_core::StorageError>,
{
    let Some(text) = text else { return Ok(Vec::new()) };
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<T>().map_err(|error| match error {
                storage_core::StorageError::InvalidInput { reason, .. } => {
                    storage_core::StorageError::invalid(field, reason).into()
                }
                other => other.into(),
            })
        })
        .collect()
}

/// A comma-separated list of plain strings (`kinds=a,b`).
pub(crate) fn comma_strings(text: Option<&str>) -> Vec<String> {
    text.map(|text| text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default()
}
