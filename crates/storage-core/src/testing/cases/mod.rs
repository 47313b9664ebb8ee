//! The conformance cases, one module per area. Each case is `pub async fn(&dyn StoreFactory) -> TestResult`.
// Each case is named for the behaviour it checks; the name is its documentation.
#![allow(missing_docs)]

pub mod bad_input;
pub mod collections;
pub mod delete;
pub mod embedding_space;
pub mod filter;
pub mod filter_limits;
pub mod get_count;
pub mod get_many;
pub mod health;
pub mod hybrid;
pub mod keyword;
pub mod keyword_filtered;
pub mod keyword_ranking;
pub mod persistence;
pub mod reembed;
pub mod upsert;
pub mod vector;
