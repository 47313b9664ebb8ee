//! Full-text search over long contents indexed in segments: the query holds over the whole content (AND
//! finds words megabytes apart, `-word` excludes a word anywhere), and a phrase cut in two by a segment
//! boundary is still found. Messages and artifacts, on PostgreSQL 18 and 16.

mod common;

use storage_core::session::{MessageRole, NewArtifact, NewMessage, NewSession, SessionStore, TextSearch};
use storage_postgres::testing::TestServer;

/// Filler of exactly `bytes` bytes (whole words), none of them a query word.
fn filler(bytes: usize) -> String {
    let mut text = String::with_capacity(bytes + 16);
    let mut n = 0u64;
    while text.len() + 12 < bytes {
        text.push_str(&format!("fill{n:07} "));
        n += 1;
    }
    while text.len() < bytes {
        text.push('x');
    }
    text
}

async fn queries_hold_over_whole_contents(server: TestServer) {
    let store =
        common::open(common::config(server, &common::unique_schema(&format!("segments_{}", server.flavor())))).await;
    store.create_session(NewSession::new("acme").id("s")).await.expect("session");
    let mut long = String::from("aardvark opens the transcript ");
    long.push_str(&filler(16_370 - long.len()));
    long.push_str(" zebra quagga ");
    long.push_str(&filler(2_500_000));
    long.push_str(" omega closes it");
    store.append_message("acme", "s", NewMessage::new(MessageRole::User, long.clone()).id("long")).await.expect("long");
    store
        .append_message("acme", "s", NewMessage::new(MessageRole::User, "aardvark alone, short").id("short"))
        .await
        .expect("short");
    let ids = |hits: Vec<storage_core::session::MessageHit>| hits.into_iter().map(|h| h.item.id).collect::<Vec<_>>();
    for (query, expected) in [
        ("aardvark omega", vec!["long"]),
        ("aardvark -omega", vec!["short"]),
        ("aardvark nothere", vec![]),
        ("\"zebra quagga\"", vec!["long"]),
        ("\"quagga zebra\"", vec![]),
        ("omega or short", vec!["long", "short"]),
    ] {
        let mut got = ids(store
            .search_messages(&TextSearch { session_id: Some("s".into()), ..TextSearch::new("acme", query, 10) })
            .await
            .expect("search"));
        got.sort();
        assert_eq!(got, expected, "{query}");
    }
    // Segments end at the last whitespace before 16 KiB: with the phrase at every offset around that
    // point, some messages have the cut between its two words, and the overlap must still find them.
    store.create_session(NewSession::new("acme").id("cuts")).await.expect("session");
    for offset in 16_350..16_390 {
        let mut text = filler(offset);
        text.push_str(" narwhal okapi ");
        text.push_str(&filler(2_000));
        store.append_message("acme", "cuts", NewMessage::new(MessageRole::User, text)).await.expect("cut message");
    }
    let found = store
        .search_messages(&TextSearch {
            session_id: Some("cuts".into()),
            ..TextSearch::new("acme", "\"narwhal okapi\"", 100)
        })
        .await
        .expect("search");
    assert_eq!(found.len(), 40, "the phrase is found wherever the cut falls");

    let mut artifact = NewArtifact::new("transcript", "meeting notes", long);
    artifact.id = Some("notes".into());
    store.put_artifact("acme", "s", artifact).await.expect("artifact");
    for query in ["meeting omega", "notes aardvark", "\"zebra quagga\""] {
        let hits = store.search_artifacts(&TextSearch::new("acme", query, 10)).await.expect("search artifacts");
        assert_eq!(hits.len(), 1, "{query}: name and content are one document");
    }
    assert!(store.search_artifacts(&TextSearch::new("acme", "meeting -omega", 10)).await.expect("search").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_hold_over_whole_contents_on_current() {
    queries_hold_over_whole_contents(TestServer::Current).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_hold_over_whole_contents_on_compat() {
    queries_hold_over_whole_contents(TestServer::Compat).await;
}
