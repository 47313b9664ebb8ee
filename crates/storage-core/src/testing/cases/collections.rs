//! Collections: independent namespaces, each with its own embedding space.

use crate::StorageError;
use crate::document::Chunk;
use crate::embedding::EmbeddingSpace;
use crate::filter::Filter;
use crate::search::SearchRequest;
use crate::testing::fixtures::{collection, name, one_hot, space, vector};
use crate::testing::{StoreFactory, TestResult};
use serde_json::json;

pub async fn collections_are_isolated(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("collections_isolated").await;
    let a = collection(&store, "alpha").await?;
    let b = collection(&store, "beta").await?;
    store.upsert(&a, vec![Chunk::new("same", "apple orchard").with_embedding(one_hot(0))]).await?;
    store
        .upsert(
            &b,
            vec![Chunk::new("same", "banana plantation").with_embedding(one_hot(1)), Chunk::new("only-b", "banana")],
        )
        .await?;
    ensure!(store.count(&a, None).await? == 1 && store.count(&b, None).await? == 2, "counts are per collection");
    ensure!(store.get(&a, "same").await?.ok_or("missing")?.text == "apple orchard", "get reads its own collection");
    ensure!(store.get(&a, "only-b").await?.is_none(), "no cross-collection get");
    let hits = store.search(&a, &SearchRequest::keyword("banana")).await?;
    ensure!(hits.is_empty(), "keyword search crossed collections: {hits:?}");
    let hits = store.search(&a, &SearchRequest::vector(one_hot(1)).top_k(10)).await?;
    ensure!(hits.iter().all(|h| h.text == "apple orchard"), "vector search crossed collections: {hits:?}");
    let deleted = store.delete_where(&a, &Filter::from_json(&json!({"x": {"$exists": false}}))?).await?;
    ensure!(deleted == 1, "delete in a deleted {deleted}");
    ensure!(store.count(&b, None).await? == 2, "delete in a left b alone");
    store.reset(&b).await?;
    ensure!(store.count(&b, None).await? == 0, "reset b");
    Ok(())
}

pub async fn collections_have_independent_embedding_spaces(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("collections_spaces").await;
    let eight = collection(&store, "eight").await?;
    let four = name("four");
    let four_space = EmbeddingSpace::new(4)?.with_model("test", "four-d");
    store.create_collection(&four, Some(&four_space)).await?;
    store.upsert(&eight, vec![Chunk::new("x", "eight").with_embedding(one_hot(2))]).await?;
    store.upsert(&four, vec![Chunk::new("x", "four").with_embedding(vector(&[0.0, 1.0, 0.0, 0.0]))]).await?;
    ensure!(store.embedding_space(&four).await? == Some(four_space), "four-d space recorded");
    ensure!(store.embedding_space(&eight).await? == Some(space()), "eight-d space recorded");
    let hits = store.search(&four, &SearchRequest::vector(vector(&[0.0, 1.0, 0.0, 0.0]))).await?;
    ensure!(hits.len() == 1 && hits[0].text == "four", "four-d search: {hits:?}");
    let err = store
        .upsert(&four, vec![Chunk::new("y", "wrong").with_embedding(one_hot(0))])
        .await
        .err()
        .ok_or("8-d into 4-d accepted")?;
    ensure!(matches!(err, StorageError::DimensionMismatch { stored: 4, given: 8, .. }), "{err}");
    Ok(())
}

pub async fn create_collection_is_idempotent_and_listed(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("collections_create").await;
    ensure!(store.list_collections().await?.is_empty(), "a fresh store has no collections");
    let first = store.create_collection(&name("zeta"), Some(&space())).await?;
    let again = store.create_collection(&name("zeta"), Some(&space())).await?;
    ensure!(first == again, "create twice: {first:?} vs {again:?}");
    let without_space = store.create_collection(&name("zeta"), None).await?;
    ensure!(without_space.embedding_space == Some(space()), "creating without a space keeps the recorded one");
    store.create_collection(&name("alpha"), None).await?;
    store.upsert(&name("zeta"), vec![Chunk::new("1", "a"), Chunk::new("2", "b")]).await?;
    let listed = store.list_collections().await?;
    let names: Vec<&str> = listed.iter().map(|c| c.name.as_str()).collect();
    ensure!(names == ["alpha", "zeta"], "listed by name: {names:?}");
    ensure!(listed[0].embedding_space.is_none() && listed[0].count == 0, "alpha: {:?}", listed[0]);
    ensure!(listed[1].count == 2, "zeta count: {:?}", listed[1]);
    ensure!(store.collection(&name("zeta")).await?.map(|c| c.count) == Some(2), "collection()");
    ensure!(store.collection(&name("missing")).await?.is_none(), "missing collection");
    Ok(())
}

pub async fn drop_collection_removes_its_data(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("collections_drop").await;
    let c = collection(&store, "doomed").await?;
    let other = collection(&store, "survivor").await?;
    store.upsert(&c, vec![Chunk::new("a", "x").with_embedding(one_hot(0))]).await?;
    store.upsert(&other, vec![Chunk::new("a", "x")]).await?;
    ensure!(store.drop_collection(&c).await?, "drop returns true when it existed");
    ensure!(!store.drop_collection(&c).await?, "drop returns false the second time");
    ensure!(store.collection(&c).await?.is_none(), "gone");
    ensure!(store.count(&other, None).await? == 1, "other collection untouched");
    // Re-creating starts empty, even with another embedding space.
    store.create_collection(&c, Some(&EmbeddingSpace::new(3)?)).await?;
    ensure!(store.count(&c, None).await? == 0, "re-created collection is empty");
    Ok(())
}

pub async fn operations_on_a_missing_collection_are_refused(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("collections_missing").await;
    let missing = name("nowhere");
    // Core's own message, so every backend and surface says the same thing (each surface adds its remedy).
    let expected = StorageError::missing_collection(&missing).to_string();
    let is_not_initialized = |r: Result<(), StorageError>| r.err().map(|e| e.to_string()) == Some(expected.clone());
    ensure!(is_not_initialized(store.count(&missing, None).await.map(drop)), "count");
    ensure!(is_not_initialized(store.get(&missing, "x").await.map(drop)), "get");
    ensure!(is_not_initialized(store.upsert(&missing, vec![Chunk::new("x", "y")]).await.map(drop)), "upsert");
    ensure!(is_not_initialized(store.search(&missing, &SearchRequest::keyword("y")).await.map(drop)), "search");
    ensure!(is_not_initialized(store.reset(&missing).await), "reset");
    ensure!(store.delete_ids(&missing, &[]).await? == 0, "delete of no ids is 0 even here");
    ensure!(store.collection(&missing).await?.is_none(), "nothing was created");
    Ok(())
}
