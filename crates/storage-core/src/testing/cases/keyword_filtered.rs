//! Filtered keyword and hybrid search held to core's BM25 reference over the chunks the filter keeps.
//!
//! A backend may rank the full-text matches first and test the filter on a growing window of the best of
//! them (the embedded backend does, for broad filters): the corpus puts the best matches all outside the
//! filter, so such a window must grow several times before it holds `k` hits, and puts the chunks the filter
//! keeps in groups of identical texts, so the `k`-th hit sits inside a tie that only the id breaks. Ids
//! are not in insertion order, so a tie broken by storage order shows. BM25's statistics stay those of the
//! whole collection: a filter chooses hits, it does not change scores.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::collection::CollectionName;
use crate::document::Chunk;
use crate::filter::DocumentFilter;
use crate::fusion::{FusionMethod, FusionSettings};
use crate::keyword::{TextLanguage, analyze, bm25};
use crate::search::SearchRequest;
use crate::store::DocumentStore;
use crate::testing::cases::hybrid::check_hybrid_against_its_legs;
use crate::testing::cases::keyword_ranking::SCORE_TOLERANCE;
use crate::testing::fixtures::{DIM, collection, filter, ids, meta, pseudo_random};
use crate::testing::{StoreFactory, TestResult};

/// Chunks in the collection.
const CHUNKS: usize = 300;
/// The first `HIDDEN` chunks (by insertion) are the best keyword matches, and every filter below but
/// one leaves them out.
const HIDDEN: usize = 120;

/// `HIDDEN` strong matches (`"hidden": true`), then weaker ones in repeating patterns of `alpha` / `beta`
/// counts and filler length, so identical texts (tied scores) come in groups of about a dozen.
fn corpus() -> Vec<Chunk> {
    (0..CHUNKS)
        .map(|i| {
            let hidden = i < HIDDEN;
            let alphas = if hidden { 5 + i % 3 } else { 1 + i % 3 };
            let mut words = vec!["alpha"; alphas];
            words.extend(std::iter::repeat_n("beta", i % 2));
            words.extend(std::iter::repeat_n("filler", i % 4));
            words.push(if i % 5 == 0 { "gamma" } else { "delta" });
            // 131 is prime to CHUNKS: ids follow neither insertion nor score order.
            let id = format!("f{:03}", (i * 131) % CHUNKS);
            Chunk::new(id, words.join(" "))
                .with_metadata(meta(json!({"hidden": hidden, "n": i, "group": i % 12})))
                .with_embedding(pseudo_random(5_000 + i as u64, DIM))
        })
        .collect()
}

fn filters() -> Vec<Value> {
    vec![
        json!({"hidden": false}),
        json!({"hidden": {"$ne": true}}),
        json!({"$and": [{"hidden": false}, {"n": {"$gte": 200}}]}),
        json!({"$or": [{"group": 3}, {"n": {"$lt": 5}}]}),
        json!({"n": 297}),
        json!({"n": {"$gt": 10_000}}),
        json!({"hidden": true}),
    ]
}

async fn setup(factory: &dyn StoreFactory, case: &str) -> Result<(Arc<dyn DocumentStore>, CollectionName), String> {
    let store = factory.fresh(case).await;
    let c = collection(&store, "docs").await.map_err(|e| e.to_string())?;
    store.upsert(&c, corpus()).await.map_err(|e| e.to_string())?;
    Ok((store, c))
}

pub async fn filtered_keyword_search_ranks_like_the_reference_when_the_best_matches_fail_the_filter(
    factory: &dyn StoreFactory,
) -> TestResult {
    let (store, c) = setup(factory, "keyword_filtered_window").await?;
    let chunks = corpus();
    let not_gamma = DocumentFilter::from_json(&json!({"$not_contains": "gamma"}))?;
    for text in ["alpha", "alpha beta", "beta gamma", "filler -gamma"] {
        for json in filters() {
            for document in [None, Some(&not_gamma)] {
                for top_k in [1, 10, 13, 40, 200] {
                    check_against_reference(&store, &c, &chunks, text, Some(&json), document, top_k).await?;
                }
            }
        }
    }
    Ok(())
}

/// A tie group larger than any window ranks first, and the few chunks inserted first (where a backend may
/// sample the filter's pass rate) rank last: windows must grow through the tie or give way to a list, and a
/// filter passing only the first chunks passes none of the best.
pub async fn keyword_search_is_exact_when_a_tie_outgrows_every_window(factory: &dyn StoreFactory) -> TestResult {
    const TIED: usize = 700;
    const WEAK: usize = 40;
    let store = factory.fresh("keyword_tie_outgrows_window").await;
    let c = collection(&store, "docs").await.map_err(|e| e.to_string())?;
    let chunks: Vec<Chunk> = (0..WEAK + TIED)
        .map(|i| {
            let text = if i < WEAK { "alpha filler filler filler filler" } else { "alpha beta" };
            // 367 is prime to the chunk count: ids follow neither insertion nor score order.
            Chunk::new(format!("t{:03}", (i * 367) % (WEAK + TIED)), text)
                .with_metadata(meta(json!({"n": i, "odd": i % 2 == 1})))
                .with_embedding(pseudo_random(9_000 + i as u64, DIM))
        })
        .collect();
    store.upsert(&c, chunks.clone()).await.map_err(|e| e.to_string())?;
    let filters = [
        None,
        Some(json!({"n": {"$lt": WEAK}})),
        Some(json!({"n": {"$gte": WEAK / 2}})),
        Some(json!({"odd": true})),
        Some(json!({"n": {"$gte": WEAK + TIED - 3}})),
    ];
    for json in &filters {
        for top_k in [1, 10, 50, 300] {
            check_against_reference(&store, &c, &chunks, "alpha", json.as_ref(), None, top_k).await?;
        }
    }
    Ok(())
}

/// Keyword search for `text` with the filters is core's BM25 reference over the whole collection, kept to
/// the chunks the filters pass: the same ids in the same order, and the same scores.
async fn check_against_reference(
    store: &Arc<dyn DocumentStore>,
    c: &CollectionName,
    chunks: &[Chunk],
    text: &str,
    json: Option<&Value>,
    document: Option<&DocumentFilter>,
    top_k: usize,
) -> TestResult {
    let language = TextLanguage::English;
    let analyzed: Vec<(String, Vec<String>)> =
        chunks.iter().map(|chunk| (chunk.id.clone(), analyze(&chunk.text, language))).collect();
    let f = json.map(filter);
    let kept: HashSet<&str> = chunks
        .iter()
        .filter(|chunk| {
            f.as_ref().is_none_or(|f| f.matches(chunk.metadata.as_map()))
                && document.is_none_or(|d| d.matches(&chunk.text))
        })
        .map(|chunk| chunk.id.as_str())
        .collect();
    let mut request = SearchRequest::keyword(text).top_k(top_k);
    if let Some(f) = f {
        request = request.filter(f);
    }
    if let Some(document) = document {
        request = request.document_filter(document.clone());
    }
    let query = request.keyword_query(language).analyzed(language);
    let expected: Vec<(String, f32)> = bm25::reference_ranking(&analyzed, &query, bm25::Bm25Params::default())
        .into_iter()
        .filter(|(id, _)| kept.contains(id.as_str()))
        .take(top_k)
        .map(|(id, relevance)| (id, bm25::score(relevance)))
        .collect();
    let hits = store.search(c, &request).await?;
    let expected_ids: Vec<&str> = expected.iter().map(|(id, _)| id.as_str()).collect();
    let filter_text = json.map_or_else(|| "no filter".to_owned(), Value::to_string);
    let context = format!("{text:?} top {top_k}, {filter_text}, document filter {}", document.is_some());
    ensure!(ids(&hits) == expected_ids, "{context}: {:?}\n  reference {expected_ids:?}", ids(&hits));
    for (hit, (_, score)) in hits.iter().zip(&expected) {
        ensure!(
            (hit.score - score).abs() <= SCORE_TOLERANCE,
            "{context}: {} scores {}, reference {score}",
            hit.id,
            hit.score
        );
    }
    Ok(())
}

pub async fn filtered_hybrid_search_fuses_its_filtered_legs_when_the_best_matches_fail_the_filter(
    factory: &dyn StoreFactory,
) -> TestResult {
    let (store, c) = setup(factory, "hybrid_filtered_window").await?;
    let weighted = FusionSettings { method: FusionMethod::WeightedMinMax, ..FusionSettings::default() };
    for json in filters() {
        for (top_k, settings) in [(10, FusionSettings::default()), (3, weighted), (25, FusionSettings::default())] {
            let request = SearchRequest::hybrid("alpha beta", pseudo_random(77, DIM))
                .top_k(top_k)
                .fusion(settings)
                .filter(filter(&json));
            check_hybrid_against_its_legs(&store, &c, &request).await.map_err(|e| format!("{json}: {e}"))?;
        }
    }
    Ok(())
}
