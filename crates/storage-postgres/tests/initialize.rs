//! Startup races: several processes initializing the same new schema at once all succeed (the advisory
//! lock serialises them), and the schema ends fully migrated once.

mod common;

use std::sync::Arc;

use storage_core::DocumentStore;
use storage_core::testing::fixtures;
use storage_postgres::testing::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_initializations_of_one_schema_do_not_race() {
    let schema = common::unique_schema("race");
    let mut stores = Vec::new();
    for _ in 0..4 {
        let config = common::config(TestServer::Current, &schema);
        stores.push(Arc::new(storage_postgres::PostgresStore::connect(config).await.unwrap()));
    }
    let tasks: Vec<_> = stores
        .iter()
        .map(|store| {
            let store = store.clone();
            tokio::spawn(async move { store.initialize().await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().expect("every concurrent initialize succeeds");
    }
    let migrations = stores[0].migrations().await.unwrap();
    assert!(!migrations.is_empty() && migrations.iter().all(|m| m.applied), "{migrations:?}");
    let tasks: Vec<_> = stores
        .iter()
        .map(|store| {
            let store = store.clone();
            tokio::spawn(
                async move { store.create_collection(&fixtures::name("docs"), Some(&fixtures::space())).await },
            )
        })
        .collect();
    for task in tasks {
        task.await.unwrap().expect("concurrent create_collection of the same name succeeds");
    }
    assert_eq!(stores[3].list_collections().await.unwrap().len(), 1);
}
