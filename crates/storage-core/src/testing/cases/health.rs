//! What `CollectionInfo` and the health report say about a collection: how many chunks carry an embedding,
//! and whether its vector index is in place.

use std::sync::Arc;

use crate::collection::{CollectionInfo, CollectionName, VectorIndexState};
use crate::document::Chunk;
use crate::search::SearchRequest;
use crate::store::DocumentStore;
use crate::testing::fixtures::{collection, id_set, name, one_hot};
use crate::testing::{StoreFactory, TestResult};

type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The collection as `collection`, `list_collections` and `health` report it, which must agree.
async fn reported(store: &Arc<dyn DocumentStore>, c: &CollectionName) -> BoxResult<(CollectionInfo, Vec<String>)> {
    let info = store.collection(c).await?.ok_or("the collection exists")?;
    let listed = store.list_collections().await?.into_iter().find(|i| &i.name == c).ok_or("it is listed")?;
    let health = store.health().await?;
    let in_health = health.collections.iter().find(|i| &i.name == c).ok_or("the health report has it")?;
    ensure!(
        listed == info && *in_health == info,
        "collection, list and health agree: {info:?} {listed:?} {in_health:?}"
    );
    let warnings = health.warnings.into_iter().filter(|w| w.contains(&format!("`{c}`"))).collect();
    Ok((info, warnings))
}

pub async fn collection_info_counts_the_chunks_that_carry_an_embedding(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("health_embedded_count").await;
    let c = collection(&store, "docs").await?;
    let (info, warnings) = reported(&store, &c).await?;
    ensure!(info.count == 0 && info.embedded_count == 0 && warnings.is_empty(), "empty: {info:?} {warnings:?}");
    store
        .upsert(
            &c,
            vec![
                Chunk::new("v1", "alpha").with_embedding(one_hot(0)),
                Chunk::new("v2", "alpha").with_embedding(one_hot(1)),
                Chunk::new("v3", "alpha").with_embedding(one_hot(2)),
                Chunk::new("t1", "alpha"),
                Chunk::new("t2", "alpha"),
            ],
        )
        .await?;
    let (info, warnings) = reported(&store, &c).await?;
    ensure!(info.count == 5 && info.embedded_count == 3 && info.unembedded_count() == 2, "{info:?}");
    ensure!(
        warnings.len() == 1 && warnings[0].contains("2 of 5 chunks have no embedding"),
        "the health report says what vector search cannot find: {warnings:?}"
    );
    let hits = store.search(&c, &SearchRequest::vector(one_hot(0)).top_k(10)).await?;
    ensure!(id_set(&hits) == ["v1", "v2", "v3"].map(String::from).into(), "vector search finds the 3 embedded");
    // Replacing an embedded chunk with one without, and deleting, move the count.
    store.upsert(&c, vec![Chunk::new("v3", "alpha")]).await?;
    store.delete_ids(&c, &["v1".to_owned()]).await?;
    let (info, _) = reported(&store, &c).await?;
    ensure!(info.count == 4 && info.embedded_count == 1, "after replace and delete: {info:?}");
    // A keyword-only collection holds no embeddings and warns of nothing.
    let keyword_only = name("notes");
    store.create_collection(&keyword_only, None).await?;
    store.upsert(&keyword_only, vec![Chunk::new("n", "text only")]).await?;
    let (info, warnings) = reported(&store, &keyword_only).await?;
    ensure!(info.count == 1 && info.embedded_count == 0, "{info:?}");
    ensure!(info.vector_index == VectorIndexState::NotNeeded && warnings.is_empty(), "{info:?} {warnings:?}");
    Ok(())
}

pub async fn health_reports_a_vector_index_an_interrupted_load_left_missing(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("health_vector_index").await;
    let c = collection(&store, "docs").await?;
    let (info, warnings) = reported(&store, &c).await?;
    ensure!(info.vector_index == VectorIndexState::Ready && warnings.is_empty(), "{info:?} {warnings:?}");
    // A load that sets the index aside and is never finished, as a killed `ingest` leaves it.
    let deferred = store.begin_bulk_load(&c).await?;
    store.upsert(&c, (0..8).map(|i| Chunk::new(format!("c{i}"), "t").with_embedding(one_hot(i))).collect()).await?;
    let (info, warnings) = reported(&store, &c).await?;
    let expected = if deferred { VectorIndexState::Missing } else { VectorIndexState::Ready };
    ensure!(info.vector_index == expected, "deferred {deferred}: {info:?}");
    let says_missing = warnings.iter().any(|w| w.contains("vector index is missing"));
    ensure!(says_missing == deferred, "the warnings say so exactly when it is missing: {warnings:?}");
    // Initializing the store again (what the next `init`, `ingest` or `serve` does) builds it.
    store.initialize().await?;
    let (info, warnings) = reported(&store, &c).await?;
    ensure!(
        info.vector_index == VectorIndexState::Ready && warnings.is_empty(),
        "after initialize: {info:?} {warnings:?}"
    );
    Ok(())
}
