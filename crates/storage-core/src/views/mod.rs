//! What the command line's `--json` and the HTTP API show of the domain types, defined once: a view is a
//! serde shape both surfaces print, so a field added here reaches both.
//!
//! Domain types that are shown whole (`StoredChunk`, `Memory`, `Session`, `Task`…) are their own views;
//! this module holds what differs from them: flattened search hits, the briefs listings show instead of
//! whole records (a vector's length for the vector, a content's size for the content), and the envelopes
//! of lists and hits. With the `openapi` feature every view derives `utoipa::ToSchema`, so the HTTP API's
//! document describes exactly what is served.

/// `{"count", "<items>"}`: a list view and its `new`, which shows each record as the list's item type
/// (a brief, or the record itself). The JSON key of the items differs per list, so each list is its own
/// type, and its schema is its own in the HTTP API's document.
macro_rules! counted_list {
    ($(#[$meta:meta])* $name:ident { #[doc = $count_doc:literal] count, $(#[$items_meta:meta])* $items:ident: $item:ty $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub struct $name {
            #[doc = $count_doc]
            pub count: usize,
            $(#[$items_meta])*
            pub $items: Vec<$item>,
        }

        impl $name {
            #[doc = concat!("The list of `", stringify!($items), "`.")]
            pub fn new(records: Vec<impl Into<$item>>) -> Self {
                let $items: Vec<$item> = records.into_iter().map(Into::into).collect();
                $name { count: $items.len(), $items }
            }
        }
    };
}

mod documents;
mod health;
mod memory;
mod session;
mod task;

pub use self::documents::{Chunks, Collections, Count, Deleted, SearchResult, SearchResults};
pub use self::health::StoreStatus;
pub use self::memory::{
    Forgotten, MemoryBrief, MemoryHistory, MemoryList, MemorySpaceView, Recalled, RecalledMemory, RememberBatch,
    Superseded,
};
pub use self::session::{
    AgentList, ArtifactBrief, ArtifactHit, ArtifactHits, ArtifactList, MessageHit, MessageHits, MessageList,
    SessionList,
};
pub use self::task::{ClaimedTask, TaskList, TaskStats};

/// Milliseconds to three decimals: enough to compare, short to read.
pub(crate) fn round_ms(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}
