//! The memory conformance suite: every backend's `MemoryStore` against core's scoring and semantics.
// Each case is named for the behaviour it checks; the name is its documentation.
#![allow(missing_docs)]

mod filters;
mod lifecycle;
mod recall;
mod restage;
mod write;

use std::sync::Arc;

use super::MemoryStoreFactory;
use super::fixtures::{DIM, space, vector};
use crate::embedding::Embedding;
use crate::memory::{ChangeContext, MemoryStore, NewMemory, RememberOptions, Scope};

pub use self::filters::*;
pub use self::lifecycle::*;
pub use self::recall::*;
pub use self::restage::*;
pub use self::write::*;

type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const MODEL: &str = "one-hot-8";

fn ctx() -> ChangeContext {
    ChangeContext::by("conformance").because("testing")
}

fn opts() -> RememberOptions {
    RememberOptions { context: ctx(), ..RememberOptions::default() }
}

/// A unit vector whose cosine similarity with axis 0 is exactly `similarity`.
fn at_similarity(similarity: f32) -> Embedding {
    let mut values = vec![0.0; DIM as usize];
    values[0] = similarity;
    values[1] = (1.0 - similarity * similarity).sqrt();
    vector(&values)
}

async fn fresh(factory: &dyn MemoryStoreFactory, case: &str) -> BoxResult<Arc<dyn MemoryStore>> {
    let store = factory.fresh_memory_store(case).await;
    store.set_memory_embedding_space(&space()).await?;
    Ok(store)
}

fn memory(tenant: &str, content: &str) -> NewMemory {
    NewMemory::new(Scope::tenant(tenant), content)
}
