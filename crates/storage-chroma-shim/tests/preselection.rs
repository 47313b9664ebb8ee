//! Filtered vector search on the approximate path (binary pre-selection plus exact re-scoring), at a scale a
//! test can afford: `exact_search_below`, `oversampling` and `min_candidates` are lowered so 6,000 vectors
//! take the path 100,000 take by default. A filter passing 2 % of the chunks needs the pre-selection sized
//! for the rank of its 10th passing vector; sized for the top 10 alone, recall@10 fell to 0.74 at 100,000.

use serde_json::json;
use storage_chroma_shim::{EmbeddedConfig, EmbeddedStore};
use storage_core::{
    Chunk, CollectionName, DocumentStore, Embedding, EmbeddingSpace, Filter, Metadata, Metric, SearchRequest,
};

const ROWS: u64 = 6_000;
const DIMS: usize = 48;
/// Categories: a filter on one passes 2 % of the chunks.
const CATEGORIES: u64 = 50;
const QUERIES: u64 = 20;

/// Whether row number `n` passes a case's filter.
type Passes = Box<dyn Fn(u64) -> bool>;

/// A deterministic pseudo-random unit-scale vector (splitmix64).
fn values(seed: u64) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1);
    (0..DIMS)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z % 20_000) as f32 / 10_000.0 - 1.0
        })
        .collect()
}

fn metadata(row: u64) -> Metadata {
    let value = json!({"category": format!("c{}", row % CATEGORIES), "broad": !row.is_multiple_of(10)});
    serde_json::from_value(value).expect("metadata")
}

/// The exact ids of the 10 nearest passing vectors, by the metric the store uses.
fn exact_top_10(query: &[f32], passes: impl Fn(u64) -> bool) -> Vec<String> {
    let mut scored: Vec<(f64, String)> = (0..ROWS)
        .filter(|row| passes(*row))
        .map(|row| (Metric::Cosine.distance(query, &values(row)), format!("row-{row}")))
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    scored.into_iter().take(10).map(|(_, id)| id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filtered_searches_on_the_preselected_path_find_the_exact_filtered_neighbours() {
    let temp = tempfile::tempdir().expect("temp dir");
    let mut config = EmbeddedConfig::new(temp.path().join("data"));
    config.exact_search_below = 1_000;
    config.oversampling = 10;
    config.min_candidates = 100;
    let store = EmbeddedStore::open(config).expect("config");
    store.initialize().await.expect("initialize");
    let collection = CollectionName::new("pre").expect("name");
    store.create_collection(&collection, Some(&EmbeddingSpace::new(DIMS as u32).expect("dims"))).await.expect("create");
    let chunks: Vec<Chunk> = (0..ROWS)
        .map(|row| {
            Chunk::new(format!("row-{row}"), format!("text {row}"))
                .with_embedding(Embedding::new(values(row)).expect("finite"))
                .with_metadata(metadata(row))
        })
        .collect();
    for batch in chunks.chunks(2_000) {
        store.upsert(&collection, batch.to_vec()).await.expect("upsert");
    }

    let mut found = [0usize; 2];
    for q in 0..QUERIES {
        let query = values(1_000_000 + q);
        let category = format!("c{}", q % CATEGORIES);
        let cases: [(Filter, Passes); 2] = [
            (
                Filter::from_json(&json!({"category": category})).expect("filter"),
                Box::new(move |row| row % CATEGORIES == q % CATEGORIES),
            ),
            (Filter::from_json(&json!({"broad": true})).expect("filter"), Box::new(|row: u64| !row.is_multiple_of(10))),
        ];
        for (case, (filter, passes)) in cases.into_iter().enumerate() {
            let truth = exact_top_10(&query, passes);
            let request =
                SearchRequest::vector(Embedding::new(query.clone()).expect("finite")).top_k(10).filter(filter);
            let hits = store.search(&collection, &request).await.expect("search");
            assert_eq!(
                hits.len(),
                10,
                "a filter passing {} chunks fills the top 10",
                if case == 0 { 120 } else { 5_400 }
            );
            found[case] += hits.iter().filter(|hit| truth.contains(&hit.id)).count();
        }
    }
    let recall = found.map(|hits| hits as f64 / (QUERIES * 10) as f64);
    assert!(recall[0] >= 0.95, "recall@10 with a 2 % filter: {:.3}", recall[0]);
    assert!(recall[1] >= 0.95, "recall@10 with a 90 % filter: {:.3}", recall[1]);
}
