//! Persistence: data survives close and reopen; initialize is idempotent; reset.

use crate::document::Chunk;
use crate::embedding::EmbeddingSpace;
use crate::search::SearchRequest;
use crate::testing::fixtures::{DIM, collection, ids, one_hot, pseudo_random, space, vector};
use crate::testing::{StoreFactory, TestResult};

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

pub async fn migrations_go_down_to_zero_and_up_again(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("persist_migrations").await;
    let all = store.migrations().await?;
    ensure!(!all.is_empty(), "the backend lists its migrations");
    ensure!(all.iter().all(|m| m.applied), "a fresh store is fully migrated: {all:?}");
    let versions: Vec<u32> = all.iter().map(|m| m.version).collect();
    let expected: Vec<u32> = (1..=all.len() as u32).collect();
    ensure!(versions == expected, "versions are 1..=N in order: {versions:?}");
    ensure!(store.migrate_up(None).await?.is_empty(), "nothing left to apply");

    let c = collection(&store, "docs").await?;
    store.upsert(&c, vec![Chunk::new("a", "x").with_embedding(one_hot(0))]).await?;
    let reverted = store.migrate_down(0).await?;
    ensure!(reverted.len() == all.len(), "down to 0 reverts every migration: {reverted:?}");
    ensure!(reverted.windows(2).all(|w| w[0].version > w[1].version), "newest first: {reverted:?}");
    ensure!(store.migrations().await?.iter().all(|m| !m.applied), "nothing applied after down to 0");

    let applied = store.migrate_up(None).await?;
    ensure!(applied.len() == all.len(), "up applies every migration again: {applied:?}");
    ensure!(store.migrations().await? == all, "the same list as before");
    ensure!(store.list_collections().await?.is_empty(), "down to 0 dropped the collections");
    let c = collection(&store, "docs").await?;
    store.upsert(&c, vec![Chunk::new("b", "yellow submarines").with_embedding(one_hot(1))]).await?;
    ensure!(store.count(&c, None).await? == 1, "usable after migrating up again");
    if all.len() > 1 {
        let last = all.len() as u32;
        let reverted = store.migrate_down(last - 1).await?;
        ensure!(reverted.len() == 1 && reverted[0].version == last, "down by one: {reverted:?}");
        let applied = store.migrate_up(Some(last)).await?;
        ensure!(applied.len() == 1 && applied[0].version == last, "up by one: {applied:?}");
        let hits = store.search(&c, &SearchRequest::keyword("submarine")).await?;
        ensure!(ids(&hits) == ["b"], "keyword search works on data that crossed the migrations: {:?}", ids(&hits));
    }
    Ok(())
}
