//! Recall filters at and past the size limits of the filter language, and with NUL bytes.

use std::collections::BTreeSet;

use super::{ctx, fresh, memory};
use crate::StorageError;
use crate::filter::{Filter, Scalar};
use crate::memory::{RecallRequest, RememberOptions, Scope};
use crate::testing::fixtures::{corpus, expected_ids, filter, filters_at_the_limits, filters_past_the_limits};
use crate::testing::{MemoryStoreFactory, TestResult};

pub async fn recall_filters_at_the_size_limits_match_the_reference(factory: &dyn MemoryStoreFactory) -> TestResult {
    let store = fresh(factory, "memory_filter_limits").await?;
    let no_dedup = RememberOptions { dedup_threshold: None, context: ctx() };
    // One memory per corpus chunk, with its metadata; the content starts with the chunk id.
    let corpus = corpus();
    for chunk in &corpus {
        let mut new = memory("acme", &format!("{} remembered", chunk.id));
        new.metadata = chunk.metadata.clone();
        store.remember(new, &no_dedup).await?;
    }
    let recall = |f: Filter| {
        let store = std::sync::Arc::clone(&store);
        let request = RecallRequest { filter: Some(f), limit: 100, ..RecallRequest::new(Scope::tenant("acme")) };
        // On a tokio worker, where the crash happened (a 2 MiB stack; an overflow aborts the process).
        async move { tokio::spawn(async move { store.recall(&request).await }).await.expect("recall finished") }
    };
    for json in filters_at_the_limits() {
        let f = filter(&json);
        let expected = expected_ids(&corpus, &f);
        let hits = recall(f).await.map_err(|e| format!("{:.80}: {e}", json.to_string()))?;
        let got: BTreeSet<String> =
            hits.iter().map(|h| h.memory.content.split(' ').next().unwrap_or_default().to_owned()).collect();
        ensure!(got == expected, "{:.80}: {got:?}, expected {expected:?}", json.to_string());
    }
    let nul = Filter::eq("lang", Scalar::String("py\0thon".into()));
    let refused = filters_past_the_limits().into_iter().chain([("NUL", nul)]);
    for (says, f) in refused {
        let err = recall(f).await.err().ok_or_else(|| format!("a filter past the {says} limit was accepted"))?;
        ensure!(
            matches!(&err, StorageError::InvalidInput { field, .. } if field == "where")
                && err.to_string().contains(says),
            "expected an error naming `where` that says {says:?}: {err}"
        );
    }
    Ok(())
}
