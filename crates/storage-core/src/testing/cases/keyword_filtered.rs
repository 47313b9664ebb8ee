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
    let language = TextLanguage::English;
    let analyzed: Vec<(String, Vec<String>)> =
        chunks.iter().map(|chunk| (chunk.id.clone(), analyze(&chunk.text, language))).collect();
    let not_gamma = DocumentFilter::from_json(&json!({"$not_contains": "gamma"}))?;
    for text in ["alpha", "alpha beta", "beta gamma", "filler -gamma"] {
        for json in filters() {
            let f = filter(&json);
            for document in [None, Some(&not_gamma)] {
                let kept: HashSet<&str> = chunks
                    .iter()
                    .filter(|chunk| {
                        f.matches(chunk.metadata.as_map()) && document.is_none_or(|d| d.matches(&chunk.text))
                    })
                    .map(|chunk| chunk.id.as_str())
                    .collect();
                for top_k in [1, 10, 13, 40, 200] {
                    let mut request = SearchRequest::keyword(text).top_k(top_k).filter(f.clone());
                    if let Some(document) = document {
                        request = request.document_filter(document.clone());
                    }
                    let query = request.keyword_query(language).analyzed(language);
                    let expected: Vec<(String, f32)> =
                        bm25::reference_ranking(&analyzed, &query, bm25::Bm25Params::default())
                            .into_iter()
                            .filter(|(id, _)| kept.contains(id.as_str()))
                            .take(top_k)
                            .map(|(id, relevance)| (id, bm25::score(relevance)))
                            .collect();
                    let hits = store.search(&c, &request).await?;
                    let expected_ids: Vec<&str> = expected.iter().map(|(id, _)| id.as_str()).collect();
                    let context = format!("{text:?} top {top_k}, {json}, document filter {}", document.is_some());
                    ensure!(ids(&hits) == expected_ids, "{context}: {:?}\n  reference {expected_ids:?}", ids(&hits));
                    for (hit, (_, score)) in hits.iter().zip(&expected) {
                        ensure!(
                            (hit.score - score).abs() <= SCORE_TOLERANCE,
                            "{context}: {} scores {}, reference {score}",
                            hit.id,
                            hit.score
                        );
                    }
                }
            }
        }
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
