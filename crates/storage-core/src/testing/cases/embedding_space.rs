//! Embedding spaces: recorded per collection, enforced on every write and query.

use crate::StorageError;
use crate::document::Chunk;
use crate::embedding::{EmbeddingSpace, Metric};
use crate::search::SearchRequest;
use crate::testing::fixtures::{DIM, collection, name, one_hot, space, vector};
use crate::testing::{StoreFactory, TestResult};

pub async fn embedding_space_is_recorded_and_returned(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("space_recorded").await;
    let c = name("docs");
    let recorded = EmbeddingSpace::new(DIM)?.with_model("openai", "text-embedding-3-small").with_metric(Metric::L2);
    let info = store.create_collection(&c, Some(&recorded)).await?;
    ensure!(info.embedding_space.as_ref() == Some(&recorded), "create returns the space: {info:?}");
    ensure!(store.embedding_space(&c).await? == Some(recorded.clone()), "get returns the space");
    store.set_embedding_space(&c, &recorded).await?;
    store.validate_embedding_space(&c, &recorded).await?;
    store.validate_embedding_space(&c, &EmbeddingSpace::new(DIM)?.with_metric(Metric::L2)).await?;
    Ok(())
}

pub async fn a_different_embedding_space_is_refused(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("space_refused").await;
    let c = collection(&store, "docs").await?;
    store.upsert(&c, vec![Chunk::new("a", "x").with_embedding(one_hot(0))]).await?;
    let err =
        store.set_embedding_space(&c, &EmbeddingSpace::new(16)?).await.err().ok_or("other dimensions accepted")?;
    ensure!(matches!(err, StorageError::DimensionMismatch { stored: DIM, given: 16, .. }), "{err}");
    let other_model = EmbeddingSpace::new(DIM)?.with_model("test", "another-model");
    let err = store.set_embedding_space(&c, &other_model).await.err().ok_or("another model accepted")?;
    ensure!(matches!(err, StorageError::ModelMismatch { .. }), "{err}");
    let err = store.validate_embedding_space(&c, &other_model).await.err().ok_or("validate accepted another model")?;
    ensure!(matches!(err, StorageError::ModelMismatch { .. }), "{err}");
    let err = store
        .create_collection(&c, Some(&EmbeddingSpace::new(3)?))
        .await
        .err()
        .ok_or("create with other dims accepted")?;
    ensure!(matches!(err, StorageError::DimensionMismatch { stored: DIM, given: 3, .. }), "{err}");
    ensure!(store.embedding_space(&c).await? == Some(space()), "the recorded space is unchanged");
    ensure!(store.count(&c, None).await? == 1, "data untouched");
    Ok(())
}

pub async fn dimension_mismatch_on_write_names_both_numbers(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("space_write_mismatch").await;
    let c = collection(&store, "docs").await?;
    let err = store
        .upsert(&c, vec![Chunk::new("a", "x").with_embedding(vector(&[1.0; 5]))])
        .await
        .err()
        .ok_or("5-d accepted")?;
    ensure!(matches!(err, StorageError::DimensionMismatch { stored: DIM, given: 5, .. }), "{err}");
    let message = err.to_string();
    ensure!(message.contains('8') && message.contains('5'), "message names both numbers: {message}");
    ensure!(store.count(&c, None).await? == 0, "nothing written");
    Ok(())
}

pub async fn dimension_mismatch_on_query_names_both_numbers(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("space_query_mismatch").await;
    let c = collection(&store, "docs").await?;
    store.upsert(&c, vec![Chunk::new("a", "x").with_embedding(one_hot(0))]).await?;
    for request in [SearchRequest::vector(vector(&[1.0; 12])), SearchRequest::hybrid("x", vector(&[1.0; 12]))] {
        let err = store.search(&c, &request).await.err().ok_or("a 12-d query was accepted")?;
        ensure!(matches!(err, StorageError::DimensionMismatch { stored: DIM, given: 12, .. }), "{err}");
    }
    Ok(())
}

pub async fn collection_without_a_space_refuses_vectors_but_takes_text(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("space_missing").await;
    let c = name("plain");
    store.create_collection(&c, None).await?;
    ensure!(store.embedding_space(&c).await?.is_none(), "no space yet");
    store.upsert(&c, vec![Chunk::new("t", "text only chunk")]).await?;
    let err = store
        .upsert(&c, vec![Chunk::new("v", "x").with_embedding(one_hot(0))])
        .await
        .err()
        .ok_or("a vector without a space was accepted")?;
    ensure!(err.to_string() == StorageError::missing_space(&c, "chunks[0].embedding").to_string(), "{err}");
    let err =
        store.search(&c, &SearchRequest::vector(one_hot(0))).await.err().ok_or("vector search without a space")?;
    ensure!(err.to_string() == StorageError::missing_space(&c, "embedding").to_string(), "{err}");
    ensure!(
        store.search(&c, &SearchRequest::keyword("text")).await?.len() == 1,
        "keyword search works without a space"
    );
    store.set_embedding_space(&c, &space()).await?;
    store.upsert(&c, vec![Chunk::new("v", "x").with_embedding(one_hot(0))]).await?;
    ensure!(store.search(&c, &SearchRequest::vector(one_hot(0))).await?.len() == 1, "vectors after the space is set");
    ensure!(store.count(&c, None).await? == 2, "count");
    Ok(())
}

pub async fn a_provider_and_model_are_recorded_the_first_time_they_are_given(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("space_completed").await;
    let bare = EmbeddingSpace::new(DIM)?;
    let named = bare.clone().with_model("p", "m");
    let other = bare.clone().with_model("p", "other-model");
    // Through create_collection (what `init` calls) and through set_embedding_space alike.
    for (c, via_create) in [(name("by_create"), true), (name("by_set"), false)] {
        store.create_collection(&c, Some(&bare)).await?;
        if via_create {
            store.create_collection(&c, Some(&named)).await?;
        } else {
            store.set_embedding_space(&c, &named).await?;
        }
        ensure!(store.embedding_space(&c).await? == Some(named.clone()), "{c}: the model given first is recorded");
        let info = store.collection(&c).await?.ok_or("the collection exists")?;
        ensure!(info.embedding_space == Some(named.clone()), "{c}: collection info shows it: {info:?}");
        store.create_collection(&c, Some(&bare)).await?;
        ensure!(store.embedding_space(&c).await? == Some(named.clone()), "{c}: a space naming nothing keeps it");
        let err = if via_create {
            store.create_collection(&c, Some(&other)).await.err()
        } else {
            store.set_embedding_space(&c, &other).await.err()
        };
        let err = err.ok_or_else(|| format!("{c}: a different model was accepted"))?;
        let message = err.to_string();
        ensure!(
            matches!(err, StorageError::ModelMismatch { .. })
                && message.contains("p/m")
                && message.contains("p/other-model"),
            "{c}: the error names both models: {message}"
        );
        ensure!(store.embedding_space(&c).await? == Some(named.clone()), "{c}: the recorded model is unchanged");
    }
    Ok(())
}
