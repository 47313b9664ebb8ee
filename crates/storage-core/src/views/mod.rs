//! What the command line's `--json` and the HTTP API show of the domain types, defined once: a view is a
//! serde shape both surfaces print, so a field added here reaches both.
//!
//! Domain types that are shown whole (`StoredChunk`, `Memory`, `Session`, `Task`…) are their own views;
//! this module holds what differs from them: flattened search hits, the briefs listings show instead of
//! whole records (a vector's length for the vector, a content's size for the content), and the envelopes
//! of lists and hits. A brief that differs from its record in one field is declared beside the record, from
//! the same field list, by `record_and_brief!` (`MemoryBrief` with `Memory`, `ArtifactBrief` with `Artifact`). With the `openapi` feature
//! every view derives `utoipa::ToSchema`, so the HTTP API's document describes exactly what is served.

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

/// A stored record and its brief from one field list, so that a field added to the record reaches the brief
/// (its JSON, its schema and its `From`) without being written again. The brief shows every field of the
/// record in its order, documented alike, except one: the field in `{…} in brief {…}`, which the brief
/// replaces by something smaller (a vector's length for the vector), computed from it by the expression
/// after `=`. Both structs get the attributes written above their `pub struct` line; the generated
/// `From<record> for brief` moves every other field.
macro_rules! record_and_brief {
    (
        $(#[$record_meta:meta])* pub struct $record:ident;
        $(#[$brief_meta:meta])* pub struct $brief:ident;
        fields {
            $($(#[$head_meta:meta])* pub $head:ident: $head_ty:ty,)*
            { $(#[$full_meta:meta])* pub $full:ident: $full_ty:ty $(,)? }
            in brief { $(#[$short_meta:meta])* pub $short:ident: $short_ty:ty = $shown:expr $(,)? }
            $($(#[$tail_meta:meta])* pub $tail:ident: $tail_ty:ty,)*
        }
    ) => {
        $(#[$record_meta])*
        pub struct $record {
            $($(#[$head_meta])* pub $head: $head_ty,)*
            $(#[$full_meta])* pub $full: $full_ty,
            $($(#[$tail_meta])* pub $tail: $tail_ty,)*
        }

        $(#[$brief_meta])*
        pub struct $brief {
            $($(#[$head_meta])* pub $head: $head_ty,)*
            $(#[$short_meta])* pub $short: $short_ty,
            $($(#[$tail_meta])* pub $tail: $tail_ty,)*
        }

        impl From<$record> for $brief {
            fn from(record: $record) -> Self {
                let $record { $($head,)* $full, $($tail,)* } = record;
                $brief { $($head,)* $short: $shown, $($tail,)* }
            }
        }
    };
}
pub(crate) use record_and_brief;

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
