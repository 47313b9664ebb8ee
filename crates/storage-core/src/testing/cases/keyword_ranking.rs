//! Keyword ranking held to core's BM25 reference (`keyword::bm25::reference_ranking`): every backend returns
//! the same hits in the same order with the same scores (within [`SCORE_TOLERANCE`]), so the backends agree
//! with each other.

use crate::collection::CollectionName;
use crate::document::Chunk;
use crate::keyword::{KeywordMatch, TextLanguage, analyze, bm25};
use crate::search::SearchRequest;
use crate::store::DocumentStore;
use crate::testing::fixtures::{collection, ids};
use crate::testing::{StoreFactory, TestResult};

/// How far a backend's keyword score may be from core's: FTS5 and PostgreSQL sum in double precision in
/// their own order, and scores are f32.
pub const SCORE_TOLERANCE: f32 = 1e-4;

/// Chunks of different lengths and term frequencies, so most queries have no ties.
fn corpus() -> Vec<Chunk> {
    [
        ("backup-policy", "Backup policy: backups run nightly; a full backup runs weekly and is kept for a month."),
        ("backup-restore", "Restoring a backup: stop the service, copy the backup files, start the service again."),
        ("db-pools", "Database connection pools keep connections open between requests."),
        ("db-tuning", "Tuning the database: indexes, vacuum, connection limits and the planner's statistics."),
        ("ml-intro", "An introduction to machine learning, with a short history of learning machines."),
        ("ml-pipelines", "Machine learning pipelines: feature stores, training jobs and model serving."),
        ("python-guide", "Python packaging guide: wheels, virtual environments and publishing Python libraries."),
        ("python-snake", "The python is a snake; it is not a database and it does not run backups."),
        ("kube", "Kubernetes clusters schedule containers across nodes; a cluster has a control plane."),
        ("billing", "Invoices go to customers on the first business day of each month."),
        ("weather", "Rain in the morning, sun in the afternoon, wind at night."),
        ("cooking", "Bake the bread for forty minutes, then let it cool before slicing."),
    ]
    .into_iter()
    .map(|(id, text)| Chunk::new(id, text))
    .collect()
}

fn queries() -> Vec<SearchRequest> {
    vec![
        SearchRequest::keyword("how often are backups taken"),
        SearchRequest::keyword("database connection backup"),
        SearchRequest::keyword("\"machine learning\" pipelines"),
        SearchRequest::keyword("python -snake database"),
        SearchRequest::keyword("kubernetes or cluster or invoices"),
        SearchRequest::keyword("backup and service"),
        SearchRequest::keyword("database connection").keyword_match(KeywordMatch::All),
        SearchRequest::keyword("learning machines").top_k(2),
    ]
}

/// Checks every query's hits against core's reference over `chunks` (the collection's whole content), ranked
/// with `params`.
async fn check_against_reference(
    store: &dyn DocumentStore,
    c: &CollectionName,
    chunks: &[Chunk],
    params: bm25::Bm25Params,
) -> TestResult {
    let language = TextLanguage::English;
    let analyzed: Vec<(String, Vec<String>)> =
        chunks.iter().map(|chunk| (chunk.id.clone(), analyze(&chunk.text, language))).collect();
    for request in queries() {
        let query = request.keyword_query(language).analyzed(language);
        let expected: Vec<(String, f32)> = bm25::reference_ranking(&analyzed, &query, params)
            .into_iter()
            .take(request.top_k)
            .map(|(id, relevance)| (id, bm25::score(relevance)))
            .collect();
        let hits = store.search(c, &request).await?;
        let expected_ids: Vec<&str> = expected.iter().map(|(id, _)| id.as_str()).collect();
        ensure!(ids(&hits) == expected_ids, "{:?}: {:?}, reference {expected_ids:?}", request.text, ids(&hits));
        for (hit, (_, score)) in hits.iter().zip(&expected) {
            ensure!(
                (hit.score - score).abs() <= SCORE_TOLERANCE,
                "{:?}: {} scores {}, reference {score}",
                request.text,
                hit.id,
                hit.score
            );
        }
    }
    Ok(())
}

pub async fn keyword_ranking_matches_the_bm25_reference(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("keyword_ranking").await;
    let c = collection(&store, "docs").await?;
    let chunks = corpus();
    store.upsert(&c, chunks.clone()).await?;
    check_against_reference(store.as_ref(), &c, &chunks, bm25::Bm25Params::default()).await
}

pub async fn keyword_ranking_follows_updates_and_deletes(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("keyword_ranking_writes").await;
    let c = collection(&store, "docs").await?;
    let mut chunks = corpus();
    store.upsert(&c, chunks.clone()).await?;
    // Replace one chunk with a longer text, add one, delete one: N, the mean length and document
    // frequencies all change, and the ranking must follow exactly.
    let replaced = Chunk::new("billing", "Billing runs monthly; database backups of the billing data run nightly.");
    let added = Chunk::new("backup-tools", "Backup tools: snapshots, dumps, and continuous backup of the database.");
    store.upsert(&c, vec![replaced.clone(), added.clone()]).await?;
    store.delete_ids(&c, &["weather".to_owned()]).await?;
    chunks.retain(|chunk| chunk.id != "billing" && chunk.id != "weather");
    chunks.extend([replaced, added]);
    check_against_reference(store.as_ref(), &c, &chunks, bm25::Bm25Params::default()).await
}

pub async fn keyword_ranking_follows_the_collections_bm25_params(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("keyword_ranking_params").await;
    let c = collection(&store, "docs").await?;
    let info = store.collection(&c).await?.ok_or("the collection exists")?;
    ensure!(info.bm25 == bm25::Bm25Params::default(), "1.2 and 0.75 by default: {:?}", info.bm25);
    let chunks = corpus();
    store.upsert(&c, chunks.clone()).await?;
    // Far from the defaults, so a backend that ignored them would rank differently.
    let params = bm25::Bm25Params::new(3.0, 0.2)?;
    store.set_bm25_params(&c, params).await?;
    let info = store.collection(&c).await?.ok_or("the collection exists")?;
    ensure!(info.bm25 == params, "the parameters are recorded: {:?}", info.bm25);
    check_against_reference(store.as_ref(), &c, &chunks, params).await?;

    let bad = store.set_bm25_params(&c, bm25::Bm25Params { k1: -1.0, b: 0.5 }).await;
    ensure!(bad.as_ref().is_err_and(|e| e.to_string().starts_with("k1: ")), "{bad:?}");
    let bad = store.set_bm25_params(&c, bm25::Bm25Params { k1: 1.0, b: f64::NAN }).await;
    ensure!(bad.as_ref().is_err_and(|e| e.to_string().starts_with("b: ")), "{bad:?}");
    let info = store.collection(&c).await?.ok_or("the collection exists")?;
    ensure!(info.bm25 == params, "a refused change changes nothing: {:?}", info.bm25);
    let missing = CollectionName::new("missing")?;
    let result = store.set_bm25_params(&missing, params).await;
    let expected = crate::StorageError::missing_collection(&missing).to_string();
    ensure!(result.as_ref().is_err_and(|e| e.to_string() == expected), "{result:?}");
    Ok(())
}

/// The idf never drops to 0: a word found in half the chunks or more still scores, so `min_score` keeps a
/// real match in a small collection (FTS5's floor of 1e-6 scored it 2e-7).
pub async fn keyword_scores_keep_common_words_in_small_collections(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("keyword_common_words").await;
    let c = collection(&store, "docs").await?;
    let chunks = vec![Chunk::new("a", "the quick brown fox"), Chunk::new("b", "a lazy dog sleeps")];
    store.upsert(&c, chunks.clone()).await?;
    let hits = store.search(&c, &SearchRequest::keyword("fox").min_score(0.1)).await?;
    ensure!(ids(&hits) == ["a"], "{hits:?}");
    // ln 2 of relevance: one of two chunks, once, at the mean length.
    let expected = bm25::score(std::f64::consts::LN_2);
    ensure!((hits[0].score - expected).abs() <= SCORE_TOLERANCE, "{} against {expected}", hits[0].score);
    store.upsert(&c, vec![Chunk::new("c", "a fox in the snow")]).await?;
    // idf ln 1.6: about 0.09, where FTS5's floor gave 2e-7.
    let hits = store.search(&c, &SearchRequest::keyword("fox").min_score(0.05)).await?;
    ensure!(ids(&hits) == ["a", "c"], "a word in two of three chunks still scores: {hits:?}");
    Ok(())
}
