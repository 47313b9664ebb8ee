//! The memory vectors a store keeps in memory for recall: every write to the folder, by this store or by
//! another store on it (another process), shows in the next recall, whose hits equal an exact scan.

use std::path::Path;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use storage_chroma_shim::{DB_FILE_NAME, EmbeddedConfig, EmbeddedStore};
use storage_core::memory::scoring::RecallWeights;
use storage_core::memory::{
    ChangeContext, ListMemories, MemoryStatus, MemoryStore, NewMemory, RecallRequest, RememberOptions, Scope,
};
use storage_core::testing::fixtures::pseudo_random;
use storage_core::{DocumentStore, Embedding, EmbeddingSpace, Metric, StagedVector};
use uuid::Uuid;

const DIMS: u32 = 16;
const TENANT: &str = "acme";
const MODEL: &str = "fixture-model";

async fn open(dir: &Path) -> EmbeddedStore {
    let store = EmbeddedStore::open(EmbeddedConfig::new(dir)).expect("config");
    store.initialize().await.expect("initialize");
    store
}

fn context() -> ChangeContext {
    ChangeContext::by("memory-vectors-test")
}

/// Every memory is created, never merged into a near duplicate, so the fixture's ties stay in the store.
fn no_dedup() -> RememberOptions {
    RememberOptions { dedup_threshold: None, context: context() }
}

/// Memories of two users with pseudo-random vectors, some of them equal, so recall has ties to break.
async fn remember_fixture(store: &EmbeddedStore, metric: Metric) -> Vec<Uuid> {
    store
        .set_memory_embedding_space(&EmbeddingSpace::new(DIMS).expect("dims").with_metric(metric))
        .await
        .expect("space");
    let mut ids = Vec::new();
    for n in 0..60u64 {
        let scope = Scope::tenant(TENANT).user(if n % 2 == 0 { "ann" } else { "bob" });
        let vector = pseudo_random(n % 45, DIMS);
        let memory = NewMemory::new(scope, format!("memory {n}")).embedding(vector, MODEL);
        ids.push(store.remember(memory, &no_dedup()).await.expect("remember").memory.id);
    }
    ids
}

/// A recall ranked by similarity alone, so its order is the semantic leg's.
fn by_similarity(scope: Scope, query: &Embedding, limit: usize) -> RecallRequest {
    let weights =
        RecallWeights { semantic: 1.0, keyword: 0.0, recency: 0.0, importance: 0.0, ..RecallWeights::default() };
    RecallRequest { limit, weights, ..RecallRequest::new(scope).embedding(query.clone()) }
}

/// `(id, semantic score)` of the recall's hits.
async fn recalled(store: &EmbeddedStore, scope: Scope, query: &Embedding, limit: usize) -> Vec<(Uuid, f32)> {
    let hits = store.recall(&by_similarity(scope, query, limit)).await.expect("recall");
    hits.into_iter().map(|hit| (hit.memory.id, hit.semantic)).collect()
}

/// The same recall as an exact scan of every active memory in `scope` read back from the store: core's
/// metric on each stored vector, in recall's order (score, then newest update, then id).
async fn exact_scan(store: &EmbeddedStore, scope: Scope, query: &Embedding, limit: usize) -> Vec<(Uuid, f32)> {
    let metric = store.memory_embedding_space().await.expect("space").expect("a space").metric;
    let memories = store.list_memories(&ListMemories::new(scope, 1000)).await.expect("list");
    let mut scored: Vec<_> = memories
        .into_iter()
        .filter(|m| m.status == MemoryStatus::Active)
        .filter_map(|m| {
            let vector = m.embedding.as_ref()?;
            let score = metric.score(metric.distance(query.as_slice(), vector.as_slice())).clamp(0.0, 1.0);
            Some((m.id, score, m.updated_at))
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| b.2.cmp(&a.2)).then_with(|| a.0.cmp(&b.0)));
    scored.into_iter().take(limit).map(|(id, score, _)| (id, score)).collect()
}

async fn assert_exact(store: &EmbeddedStore, query: &Embedding, what: &str) {
    for scope in [Scope::tenant(TENANT), Scope::tenant(TENANT).user("ann")] {
        let expected = exact_scan(store, scope.clone(), query, 10).await;
        assert!(!expected.is_empty(), "{what}: the fixture has memories in {scope:?}");
        assert_eq!(recalled(store, scope.clone(), query, 10).await, expected, "{what}, {scope:?}");
    }
}

/// A store in a new folder with the fixture, after a first recall by `query_seed`'s vector has loaded its
/// memory vectors.
async fn recalled_once(metric: Metric, query_seed: u64) -> (tempfile::TempDir, EmbeddedStore, Vec<Uuid>, Embedding) {
    let temp = tempfile::tempdir().expect("temp dir");
    let store = open(temp.path()).await;
    let ids = remember_fixture(&store, metric).await;
    let query = pseudo_random(query_seed, DIMS);
    assert_exact(&store, &query, "first recall").await;
    (temp, store, ids, query)
}

#[tokio::test]
async fn recall_equals_an_exact_scan_for_every_metric() {
    for &metric in Metric::ALL {
        let temp = tempfile::tempdir().expect("temp dir");
        let store = open(temp.path()).await;
        remember_fixture(&store, metric).await;
        for seed in [3, 17, 1_000] {
            assert_exact(&store, &pseudo_random(seed, DIMS), &format!("{metric}, query {seed}")).await;
        }
    }
}

#[tokio::test]
async fn recall_sees_each_write_of_another_store_on_the_same_folder() {
    let (temp, first, ids, query) = recalled_once(Metric::Cosine, 9_999).await;
    let second = open(temp.path()).await;

    let ann = Scope::tenant(TENANT).user("ann");
    let nearest = NewMemory::new(ann.clone(), "the query itself").embedding(query.clone(), MODEL);
    let remembered = second.remember(nearest, &no_dedup()).await.expect("remember").memory.id;
    assert_eq!(recalled(&first, ann.clone(), &query, 1).await[0].0, remembered, "remembered elsewhere");
    assert_exact(&first, &query, "after a remember").await;

    second.update_embedding(TENANT, ids[0], query.clone(), MODEL, &context()).await.expect("update embedding");
    let top: Vec<Uuid> = recalled(&first, ann.clone(), &query, 2).await.into_iter().map(|(id, _)| id).collect();
    assert!(top.contains(&ids[0]), "re-embedded elsewhere: {top:?}");
    assert_exact(&first, &query, "after an embedding update").await;

    assert!(second.forget(TENANT, remembered, &context()).await.expect("forget"));
    assert!(!recalled(&first, ann.clone(), &query, 10).await.iter().any(|(id, _)| *id == remembered), "forgotten");
    assert_exact(&first, &query, "after a forget").await;

    let replacement = NewMemory::new(ann.clone(), "replaces memory 0").embedding(pseudo_random(77, DIMS), MODEL);
    let (_, successor) = second.supersede(TENANT, ids[0], replacement, &context()).await.expect("supersede");
    let found = recalled(&first, ann.clone(), &pseudo_random(77, DIMS), 1).await;
    assert_eq!(found[0].0, successor.id, "the successor, remembered elsewhere");
    assert_exact(&first, &query, "after a supersede").await;
}

#[tokio::test]
async fn recall_sees_its_own_writes() {
    let (_temp, store, ids, query) = recalled_once(Metric::L2, 4_242).await;
    store.update_embedding(TENANT, ids[1], query.clone(), MODEL, &context()).await.expect("update embedding");
    assert_eq!(recalled(&store, Scope::tenant(TENANT), &query, 1).await[0].0, ids[1], "re-embedded here");
    assert!(store.forget(TENANT, ids[1], &context()).await.expect("forget"));
    assert_exact(&store, &query, "after a forget here").await;
}

fn sql(text: &str) -> Statement {
    Statement::from_sql_and_values(DbBackend::Sqlite, text, vec![])
}

/// A connection of its own on the folder's database, after running `statements` on it.
async fn raw_sql(dir: &Path, statements: &[String]) -> DatabaseConnection {
    let path = dir.join(DB_FILE_NAME);
    let conn = Database::connect(format!("sqlite://{}?mode=rw", path.display())).await.expect("raw connection");
    for statement in statements {
        conn.execute_raw(sql(statement)).await.expect("raw statement");
    }
    conn
}

#[tokio::test]
async fn recall_reloads_when_far_behind_and_the_log_stays_bounded() {
    let (temp, store, _, query) = recalled_once(Metric::Cosine, 5).await;
    // Memory pk p gets the vector of p + 1 (never an equal one in the fixture), then its own back, and so on:
    // 171 rounds of 60 changes, more than the log keeps, ending on the rotated vectors.
    let mut statements = vec![
        "CREATE TABLE own AS SELECT pk, embedding FROM memories".to_owned(),
        "CREATE TABLE rotated AS SELECT m.pk, (SELECT o.embedding FROM memories o WHERE o.pk = m.pk % 60 + 1) \
         AS embedding FROM memories m"
            .to_owned(),
    ];
    for round in 0..171 {
        let source = if round % 2 == 0 { "rotated" } else { "own" };
        statements.push(format!(
            "UPDATE memories SET embedding = (SELECT s.embedding FROM {source} s WHERE s.pk = memories.pk)"
        ));
    }
    let conn = raw_sql(temp.path(), &statements).await;
    let count = "SELECT count(*) FROM memory_vector_changes";
    let row = conn.query_one_raw(sql(count)).await.expect("count");
    let kept: i64 = row.expect("one row").try_get_by_index(0).expect("a count");
    assert_eq!(kept, 10_000, "the log keeps the newest 10,000 changes");
    conn.close().await.expect("close");
    assert_exact(&store, &query, "after more changes than the log keeps").await;
}

#[tokio::test]
async fn a_change_log_created_again_is_not_taken_for_the_old_one() {
    let (temp, first, ids, query) = recalled_once(Metric::Cosine, 12).await;
    // Another store takes the schema below the change log, writes a vector no trigger logs, and upgrades: the
    // log starts over at `seq` 0, below the version the first store's vectors have.
    let second = EmbeddedStore::open(EmbeddedConfig::new(temp.path())).expect("config");
    let below_the_log = u32::try_from(second.migrations().await.expect("migrations").len() - 1).expect("few");
    second.migrate_down(below_the_log).await.expect("down");
    let copy_a_vector = format!(
        "UPDATE memories SET embedding = (SELECT embedding FROM memories WHERE id = '{}') WHERE id = '{}'",
        ids[3], ids[0]
    );
    raw_sql(temp.path(), &[copy_a_vector]).await.close().await.expect("close");
    second.migrate_up(None).await.expect("up");
    assert_exact(&first, &query, "after the log was created again").await;
}

#[tokio::test]
async fn recall_sees_a_switch_to_vectors_of_other_dimensions_made_by_another_store() {
    let (temp, first, _, _) = recalled_once(Metric::Cosine, 21).await;
    let second = open(temp.path()).await;
    let wider = EmbeddingSpace::new(DIMS * 2).expect("dims").with_metric(Metric::L2);
    second.begin_memory_reembed(&wider).await.expect("begin");
    let pending = second.memory_reembed_pending(1000).await.expect("pending");
    let staged: Vec<StagedVector> = pending
        .iter()
        .enumerate()
        .map(|(row, text)| StagedVector {
            id: text.id.clone(),
            revision: text.revision,
            embedding: pseudo_random(500 + row as u64 % 40, DIMS * 2),
        })
        .collect();
    second.stage_memory_vectors(staged).await.expect("stage");
    second.switch_memory_reembed().await.expect("switch");
    assert_exact(&first, &pseudo_random(510, DIMS * 2), "after the switch").await;
}
