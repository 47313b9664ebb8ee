//! SQL injection: metadata keys and values, text filters and keyword queries holding quotes, `;`, `--` and
//! `$1` are matched literally in every operation, and nothing else is touched.

mod common;

use serde_json::{Value, json};
use storage_core::testing::fixtures::pseudo_random;
use storage_core::{
    Chunk, CollectionName, DocumentFilter, DocumentStore, EmbeddingSpace, Filter, ListRequest, Metadata, SearchRequest,
};
use storage_postgres::testing::TestServer;

const NASTY: [&str; 10] = [
    "'",
    "''",
    "\"",
    "; DROP TABLE bs_collections; --",
    "-- comment",
    "$1",
    "$2::text",
    "' OR '1'='1",
    "\\'; SELECT pg_sleep(10); --",
    "$$ dollar $$",
];

fn filter(value: Value) -> Filter {
    Filter::from_json(&value).expect("test filters parse")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awkward_keys_values_and_queries_are_matched_literally() {
    let store = common::open(common::config(TestServer::Current, &common::unique_schema("injection"))).await;
    let collection = CollectionName::new("inj").unwrap();
    store.create_collection(&collection, Some(&EmbeddingSpace::new(8).unwrap())).await.unwrap();
    let chunks: Vec<Chunk> = NASTY
        .iter()
        .enumerate()
        .map(|(idx, nasty)| {
            // A key starting with `$` would be an operator; the awkward part follows a letter.
            let key = format!("k{nasty}");
            let metadata =
                Metadata::from_value(json!({ key: *nasty, "v": *nasty, "path": format!("{nasty}/file") })).unwrap();
            Chunk::new(format!("n{idx}"), format!("common words {nasty} tail"))
                .with_metadata(metadata)
                .with_embedding(pseudo_random(idx as u64 + 1, 8))
        })
        .chain([Chunk::new("plain", "common words plain").with_embedding(pseudo_random(99, 8))])
        .collect();
    store.upsert(&collection, chunks).await.unwrap();
    let total = NASTY.len() as u64 + 1;

    for (idx, nasty) in NASTY.iter().enumerate() {
        let id = format!("n{idx}");
        let key = format!("k{nasty}");
        for json in [
            json!({ key.clone(): *nasty }),
            json!({"v": *nasty}),
            json!({"v": {"$in": [*nasty]}}),
            json!({ key.clone(): {"$exists": true} }),
            json!({"path": {"$prefix": format!("{nasty}/")}}),
            json!({"$and": [{ key.clone(): {"$contains": *nasty} }, {"v": {"$ne": "plain"}}]}),
        ] {
            let f = filter(json.clone());
            assert_eq!(store.count(&collection, Some(&f)).await.unwrap(), 1, "count {json}");
            let listed = store
                .list(&collection, &ListRequest { after_id: None, limit: 100, filter: Some(f.clone()) })
                .await
                .unwrap();
            assert_eq!(listed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [id.as_str()], "list {json}");
            for request in [
                SearchRequest::vector(pseudo_random(7, 8)),
                SearchRequest::keyword("common"),
                SearchRequest::hybrid("common", pseudo_random(7, 8)),
            ] {
                let mode = request.mode;
                let hits = store.search(&collection, &request.top_k(50).filter(f.clone())).await.unwrap();
                assert_eq!(hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), [id.as_str()], "{mode} {json}");
            }
        }
        let text_filter = DocumentFilter::Contains(format!("words {nasty} tail"));
        let hits =
            store.search(&collection, &SearchRequest::keyword("common").document_filter(text_filter)).await.unwrap();
        assert_eq!(hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), [id.as_str()], "text filter {nasty}");
        // A keyword query made of the awkward string is text to search, never SQL: it runs, and every hit
        // holds one of its words.
        let hits = store.search(&collection, &SearchRequest::keyword(*nasty)).await.unwrap();
        assert!(hits.iter().all(|h| h.text.starts_with("common words")), "keyword {nasty}: {hits:?}");
        assert!(store.get(&collection, nasty).await.unwrap().is_none(), "get by an awkward id");
    }
    let deleted =
        store.delete_where(&collection, &filter(json!({"v": "; DROP TABLE bs_collections; --"}))).await.unwrap();
    assert_eq!(deleted, 1);
    let deleted = store.delete_ids(&collection, &["' OR '1'='1".to_owned(), "n0' OR '1'='1".to_owned()]).await.unwrap();
    assert_eq!(deleted, 0, "ids are compared literally");
    assert_eq!(store.count(&collection, None).await.unwrap(), total - 1, "no other row was harmed");
    assert_eq!(store.list_collections().await.unwrap().len(), 1, "the registry is intact");
    store.close().await.unwrap();
}
