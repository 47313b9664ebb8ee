//! Filters combine with each operation's own conditions by AND: an `$or` filter never widens a keyword
//! search to chunks without the words, nor a vector search to chunks without an embedding.

mod common;

use serde_json::json;
use storage_core::testing::fixtures::pseudo_random;
use storage_core::{
    Chunk, CollectionName, DocumentFilter, DocumentStore, EmbeddingSpace, Filter, Metadata, SearchRequest,
};
use storage_postgres::testing::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn or_filters_and_text_filters_never_widen_a_search() {
    let store = common::open(common::config(TestServer::Current, &common::unique_schema("precedence"))).await;
    let collection = CollectionName::new("prec").unwrap();
    store.create_collection(&collection, Some(&EmbeddingSpace::new(8).unwrap())).await.unwrap();
    let meta = |value| Metadata::from_value(value).unwrap();
    store
        .upsert(
            &collection,
            vec![
                Chunk::new("zebra", "a zebra crossing")
                    .with_metadata(meta(json!({"k": "a"})))
                    .with_embedding(pseudo_random(1, 8)),
                Chunk::new("lion", "a lion").with_metadata(meta(json!({"k": "b"}))).with_embedding(pseudo_random(2, 8)),
                Chunk::new("no-vector", "a zebra too").with_metadata(meta(json!({"k": "b"}))),
            ],
        )
        .await
        .unwrap();
    let or = Filter::from_json(&json!({"$or": [{"k": "a"}, {"k": "b"}]})).unwrap();
    let text_or = DocumentFilter::from_json(&json!({"$or": [{"$contains": "zebra"}, {"$contains": "lion"}]})).unwrap();
    let ids = |hits: Vec<storage_core::SearchHit>| {
        let mut ids: Vec<String> = hits.into_iter().map(|h| h.id).collect();
        ids.sort();
        ids
    };
    let keyword = SearchRequest::keyword("zebra").filter(or.clone()).document_filter(text_or.clone());
    assert_eq!(ids(store.search(&collection, &keyword).await.unwrap()), ["no-vector", "zebra"]);
    let vector = SearchRequest::vector(pseudo_random(3, 8)).filter(or.clone()).document_filter(text_or.clone());
    assert_eq!(ids(store.search(&collection, &vector).await.unwrap()), ["lion", "zebra"]);
    let hybrid = SearchRequest::hybrid("lion", pseudo_random(3, 8)).filter(or.clone()).explain(true);
    for hit in store.search(&collection, &hybrid).await.unwrap() {
        assert!(hit.vector.is_some() || hit.id == "lion", "{hit:?}");
    }
    assert_eq!(store.count(&collection, Some(&or)).await.unwrap(), 3);
    store.close().await.unwrap();
}
