//! Persistence: data survives close and reopen; initialize is idempotent; reset.

use crate::document::Chunk;
use crate::embedding::EmbeddingSpace;
use crate::search::SearchRequest;
use crate::testing::fixtures::{DIM, collection, ids, one_hot, pseudo_random, space, vector};
use crate::testing::{StoreFactory, TestResult};

use super::ensure;

pub async fn data_survives_close_and_reopen(factory: &dyn StoreFactory) -> TestResult {
    let case = "persist_reopen";
    let store = factory.fresh(case).await;
    let c = collection(&store, "docs").await?;
    let chunks: Vec<Chunk> = (0..50)
        .map(|i| Chunk::new(format!("p{i:02}"), format!("persistent word{i}")).with_embedding(pseudo_random(i, DIM)))
        .collect();
    store.upsert(&c, chunks.clone()).await?;
    let before = store.search(&c, &SearchRequest::hybrid("persistent", pseudo_random(3, DIM)).top_k(5)).await?;
    store.close().await?;
    drop(store);

    let reopened = factory.reopen(case).await;
    ensure!(reopened.count(&c, None).await? == 50, "count after reopen");
    ensure!(reopened.embedding_space(&c).await? == Some(space()), "space after reopen");
    let p7 = reopened.get(&c, "p07").await?.ok_or("p07 missing")?;
    ensure!(
        p7.text == "persistent word7"
            && p7.embedding.map(|e| e.into_vec()) == chunks[7].embedding.clone().map(|e| e.into_vec()),
        "p07 after reopen"
    );
    let after = reopened.search(&c, &SearchRequest::hybrid("persistent", pseudo_random(3, DIM)).top_k(5)).await?;
    ensure!(ids(&after) == ids(&before), "same search results after reopen: {:?} vs {:?}", ids(&after), ids(&before));
    let names: Vec<String> = reopened.list_collections().await?.into_iter().map(|c| c.name.to_string()).collect();
    ensure!(names == ["docs"], "collections after reopen: {names:?}");
    Ok(())
}

pub async fn initialize_again_keeps_the_data(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("persist_reinitialize").await;
    let c = collection(&store, "docs").await?;
    store.upsert(&c, vec![Chunk::new("a", "x").with_embedding(one_hot(0))]).await?;
    store.initialize().await?;
    store.initialize().await?;
    ensure!(store.count(&c, None).await? == 1, "data kept");
    ensure!(store.embedding_space(&c).await? == Some(space()), "space kept");
    Ok(())
}

pub async fn reset_empties_the_collection_and_forgets_its_space(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("persist_reset").await;
    let c = collection(&store, "docs").await?;
    let other = collection(&store, "other").await?;
    store.upsert(&c, vec![Chunk::new("a", "apple").with_embedding(one_hot(0)), Chunk::new("b", "banana")]).await?;
    store.upsert(&other, vec![Chunk::new("a", "apple")]).await?;
    store.reset(&c).await?;
    ensure!(store.count(&c, None).await? == 0, "empty after reset");
    ensure!(store.embedding_space(&c).await?.is_none(), "space forgotten");
    ensure!(store.collection(&c).await?.is_some(), "the collection remains");
    ensure!(store.search(&c, &SearchRequest::keyword("apple")).await?.is_empty(), "keyword index emptied");
    ensure!(store.count(&other, None).await? == 1, "other collections untouched");
    let three = EmbeddingSpace::new(3)?.with_model("new", "model");
    store.set_embedding_space(&c, &three).await?;
    store.upsert(&c, vec![Chunk::new("n", "new").with_embedding(vector(&[1.0, 0.0, 0.0]))]).await?;
    ensure!(
        store.search(&c, &SearchRequest::vector(vector(&[1.0, 0.0, 0.0]))).await?.len() == 1,
        "a new space after reset"
    );
    Ok(())
}

pub async fn close_is_idempotent(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("persist_close").await;
    store.close().await?;
    store.close().await?;
    Ok(())
}
