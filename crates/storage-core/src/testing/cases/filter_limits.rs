//! Filters at the size limits of the filter language work on every operation, on a tokio worker thread;
//! filters past them, and filters with NUL bytes, are refused before any row is touched.

use std::future::Future;
use std::sync::Arc;

use crate::document::Chunk;
use crate::filter::{Filter, Scalar};
use crate::search::SearchRequest;
use crate::store::{DocumentStore, ListRequest};
use crate::testing::fixtures::{
    DIM, collection, corpus, expected_ids, filter, filters_at_the_limits, filters_past_the_limits, id_set,
    pseudo_random,
};
use crate::testing::{StoreFactory, TestResult};
use crate::{CollectionName, StorageError};

/// Runs `work` on a tokio worker thread, where the crash happened: a 2 MiB stack, and a stack overflow
/// there aborts the whole process.
async fn on_worker<T: Send + 'static>(work: impl Future<Output = T> + Send + 'static) -> T {
    tokio::spawn(work).await.expect("the task finished without panicking")
}

async fn ids_of(
    store: &Arc<dyn DocumentStore>,
    c: &CollectionName,
    request: SearchRequest,
) -> crate::Result<Vec<String>> {
    let (store, c) = (Arc::clone(store), c.clone());
    let hits = on_worker(async move { store.search(&c, &request.top_k(100)).await }).await?;
    Ok(id_set(&hits).into_iter().collect())
}

pub async fn filters_at_the_size_limits_match_the_reference_on_every_operation(
    factory: &dyn StoreFactory,
) -> TestResult {
    let store = factory.fresh("filter_at_limits").await;
    let c = collection(&store, "docs").await?;
    let corpus: Vec<Chunk> = corpus();
    store.upsert(&c, corpus.clone()).await?;
    for json in filters_at_the_limits() {
        let f = filter(&json);
        let expected = expected_ids(&corpus, &f);
        let label = format!("{:.80}…", json.to_string());
        ensure!(!expected.is_empty() && expected.len() < corpus.len(), "{label}: the fixture matches a few chunks");
        let expected_list: Vec<String> = expected.iter().cloned().collect();
        let searches = [
            SearchRequest::vector(pseudo_random(7, DIM)),
            SearchRequest::keyword("alpha"),
            SearchRequest::hybrid("alpha", pseudo_random(7, DIM)),
        ];
        for request in searches {
            let mode = request.mode;
            let got =
                ids_of(&store, &c, request.filter(f.clone())).await.map_err(|e| format!("{label} {mode}: {e}"))?;
            ensure!(got == expected_list, "{label} {mode}: {got:?}, expected {expected_list:?}");
        }
        let (count_store, count_c, count_f) = (Arc::clone(&store), c.clone(), f.clone());
        let count = on_worker(async move { count_store.count(&count_c, Some(&count_f)).await }).await?;
        ensure!(count == expected.len() as u64, "{label}: count {count}");
        let (list_store, list_c) = (Arc::clone(&store), c.clone());
        let request = ListRequest { after_id: None, limit: 100, filter: Some(f.clone()) };
        let listed = on_worker(async move { list_store.list(&list_c, &request).await }).await?;
        let listed: Vec<String> = listed.into_iter().map(|chunk| chunk.id).collect();
        ensure!(listed == expected_list, "{label}: list {listed:?}");
        let (delete_store, delete_c) = (Arc::clone(&store), c.clone());
        let deleted = on_worker(async move { delete_store.delete_where(&delete_c, &f).await }).await?;
        ensure!(deleted == expected.len() as u64, "{label}: deleted {deleted}");
        ensure!(store.count(&c, None).await? == (corpus.len() - expected.len()) as u64, "{label}: the rest stays");
        store.upsert(&c, corpus.clone()).await?;
    }
    Ok(())
}

/// Runs every filter-taking operation with `f`, expecting each to fail with an `InvalidInput` naming
/// `where` whose message contains `says`, and nothing deleted.
async fn expect_refused(store: &Arc<dyn DocumentStore>, c: &CollectionName, f: &Filter, says: &str) -> TestResult {
    let expect = |operation: &str, result: crate::Result<()>| -> TestResult {
        let err = result.err().ok_or_else(|| format!("{operation} accepted the filter ({says})"))?;
        ensure!(
            matches!(&err, StorageError::InvalidInput { field, .. } if field == "where")
                && err.to_string().contains(says),
            "{operation}: expected an error naming `where` that says {says:?}, got: {err}"
        );
        Ok(())
    };
    let search = |request: SearchRequest| request.filter(f.clone());
    for request in [
        search(SearchRequest::vector(pseudo_random(7, DIM))),
        search(SearchRequest::keyword("alpha")),
        search(SearchRequest::hybrid("alpha", pseudo_random(7, DIM))),
    ] {
        let mode = request.mode;
        expect(&format!("{mode} search"), ids_of(store, c, request).await.map(drop))?;
    }
    expect("count", store.count(c, Some(f)).await.map(drop))?;
    let request = ListRequest { after_id: None, limit: 100, filter: Some(f.clone()) };
    expect("list", store.list(c, &request).await.map(drop))?;
    expect("delete", store.delete_where(c, f).await.map(drop))?;
    Ok(())
}

pub async fn filters_past_the_size_limits_are_refused_naming_the_limit(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("filter_past_limits").await;
    let c = collection(&store, "docs").await?;
    store.upsert(&c, corpus()).await?;
    for (limit, f) in filters_past_the_limits() {
        expect_refused(&store, &c, &f, limit).await?;
    }
    ensure!(store.count(&c, None).await? == corpus().len() as u64, "nothing deleted");
    Ok(())
}

pub async fn nul_bytes_in_filters_are_refused_naming_the_field(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("filter_nul").await;
    let c = collection(&store, "docs").await?;
    store.upsert(&c, corpus()).await?;
    let nul_value = Filter::eq("lang", Scalar::String("py\0thon".into()));
    let nul_key = Filter::Not(Box::new(Filter::eq("la\0ng", Scalar::String("python".into()))));
    for f in [nul_value, nul_key] {
        expect_refused(&store, &c, &f, "NUL").await?;
    }
    ensure!(store.count(&c, None).await? == corpus().len() as u64, "nothing deleted");
    Ok(())
}
