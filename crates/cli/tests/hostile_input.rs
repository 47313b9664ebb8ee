//! What a hostile or unlucky user tried against the command line (issue 13), on both backends: filters that
//! match everything by their shape, filters past the size limits, NUL bytes, huge names, vector search over
//! chunks without embeddings, and a database that does not exist. Each leaves the store as it was.

mod common;

use serde_json::{Value, json};

use common::{Store, chunk_line, fixture_lines};

/// An initialized store holding the fixture; returns its snapshot.
fn filled(store: &Store) -> Vec<Value> {
    store.init(3);
    store.ingest(&fixture_lines());
    store.snapshot()
}

/// How many fixture chunks carry a `year` in `years`, read from the snapshot (not hard-coded).
fn chunks_with_year_in(snapshot: &[Value], years: &std::ops::Range<i64>) -> u64 {
    let inside = |record: &&Value| record["metadata"]["year"].as_i64().is_some_and(|year| years.contains(&year));
    snapshot.iter().filter(inside).count() as u64
}

both_backends! {
    fn filters_that_match_everything_by_their_shape_delete_nothing(store) {
        let before = filled(&store);
        for filter in ["{}", r#"{"$and": [{}]}"#, r#"{"$or": [{}]}"#, r#"{"$and": [{"$or": [{}]}]}"#,
                       r#"{"$or": [{"kind": "animal"}, {"$not": {"kind": "animal"}}]}"#] {
            store
                .run(&["delete", "--where", filter])
                .code(2)
                .no_stdout()
                .stderr_has("matches every")
                .stderr_has("brainstore reset --yes");
        }
        assert_eq!(store.snapshot(), before, "a refused delete changed the store");
    }

    fn filters_past_the_size_limits_are_refused_naming_the_limit(store) {
        let before = filled(&store);
        // 11,000 numbers stay under the 128 KiB a single argument may hold, and over the 10,000-value limit.
        let values = json!({"year": {"$in": (0..11_000).collect::<Vec<i64>>()}}).to_string();
        let conditions = json!({"$or": (0..1_500).map(|n| json!({"year": n})).collect::<Vec<Value>>()}).to_string();
        let mut deep = json!({"year": 1});
        for _ in 0..40 {
            deep = json!({"$not": deep});
        }
        let deep = deep.to_string();
        for (filter, limit) in [(&values, "10000 values"), (&conditions, "1000 conditions"), (&deep, "32 levels")] {
            store.run(&["count", "--where", filter]).code(2).no_stdout().stderr_has(limit);
            store.run(&["search", "fox", "--where", filter]).code(2).no_stdout().stderr_has(limit);
            store.run(&["delete", "--where", filter]).code(2).no_stdout().stderr_has(limit);
        }
        assert_eq!(store.snapshot(), before, "a refused filter changed the store");
    }

    fn long_in_lists_under_the_limit_are_answered_on_every_operation(store) {
        // 600 values: the embedded backend used to fail from 496 on with "Expression tree is too large".
        let before = filled(&store);
        let years = 1_500..2_100;
        let filter = json!({"year": {"$in": years.clone().collect::<Vec<i64>>()}}).to_string();
        let expected = chunks_with_year_in(&before, &years);
        assert!(expected > 0, "the fixture has chunks in {years:?}");
        let total = store.count();
        assert_eq!(store.json(&["count", "--where", &filter])["count"], expected);
        let found = store.json(&["search", "fox dog", "--mode", "keyword", "--where", &filter, "--top-k", "100"]);
        assert!(found["results"].as_array().is_some_and(|hits| hits.len() as u64 <= expected), "{found}");
        assert_eq!(store.json(&["delete", "--where", &filter])["deleted"], expected);
        assert_eq!(store.count(), total - expected);
    }

    fn a_nul_byte_in_a_filter_value_or_key_is_refused_naming_the_field(store) {
        let before = filled(&store);
        for filter in [r#"{"kind": "ani\u0000mal"}"#, r#"{"ki\u0000nd": "animal"}"#, r#"{"kind": {"$in": ["a", "\u0000"]}}"#] {
            store.run(&["count", "--where", filter]).code(2).no_stdout().stderr_has("NUL").stderr_has("where");
            store.run(&["search", "fox", "--where", filter]).code(2).no_stdout().stderr_has("NUL");
            store.run(&["delete", "--where", filter]).code(2).no_stdout().stderr_has("NUL");
        }
        assert_eq!(store.snapshot(), before);
    }

    fn a_ten_thousand_character_collection_name_is_not_echoed_in_full(store) {
        filled(&store);
        let name = "a".repeat(10_000);
        for args in [vec!["--collection", &name, "count"], vec!["--collection", &name, "init", "--dimensions", "3"]] {
            let outcome = store.run(&args);
            outcome.code(2).no_stdout().stderr_has("collection");
            assert!(outcome.stderr.len() < 600, "the error echoes the name: {} bytes", outcome.stderr.len());
        }
    }

    fn vector_search_over_chunks_without_embeddings_says_why_it_found_nothing(store) {
        store.init(3);
        let lines = [
            chunk_line("plain1", "the quick brown fox", json!({}), None),
            chunk_line("plain2", "a lazy dog", json!({}), None),
        ]
        .join("\n");
        store.ingest(&lines);
        // "zebra" matches no chunk's words, so the hybrid search's keyword leg finds nothing either.
        for mode in ["vector", "hybrid"] {
            let human = store.run(&["search", "zebra", "--mode", mode, "--embedding", "[1, 0, 0]"]);
            human.ok().stderr_has("2 of 2 chunks").stderr_has("no embedding");
            let json = store.run(&["--json", "search", "--mode", "vector", "--embedding", "[1, 0, 0]"]);
            json.ok().stderr_has("no embedding");
            assert!(json.json()["results"].as_array().is_some_and(Vec::is_empty), "{}", json.stdout);
        }
        let status = store.json(&["status"]);
        let this = status["collections"].as_array().and_then(|all| all.iter().find(|c| c["name"] == status["collection"]));
        assert_eq!(this.map(|c| (c["count"].clone(), c["embedded_count"].clone())), Some((json!(2), json!(0))), "{status}");
        assert!(status["warnings"].as_array().is_some_and(|w| w.iter().any(|w| w.as_str().is_some_and(|w| w.contains("no embedding")))), "{status}");
        store.run(&["status"]).ok().stdout_has("embedded").stdout_has("warning");
    }
}

#[test]
fn a_database_that_does_not_exist_is_a_configuration_error() {
    let mut store = Store::postgres("missing_database");
    let url = common::database_url();
    let (server, _database) = url.rsplit_once('/').expect("a URL with a database");
    store.set_env("DATABASE_URL", &format!("{server}/brainstore_no_such_database"));
    store.run(&["status"]).code(2).no_stdout().stderr_has("database_url").stderr_has("brainstore_no_such_database");
}

#[test]
fn status_warns_of_a_vector_index_a_killed_bulk_load_left_missing() {
    // A bulk load drops the HNSW index and builds it at the end; a killed load leaves it missing, which is what
    // dropping it by hand reproduces without a race.
    let store = Store::postgres("missing_vector_index");
    filled(&store);
    let collection = store.json(&["status"])["collection"].as_str().expect("a collection name").to_owned();
    assert_eq!(store.vector_indexes(), vec![collection.clone()], "the index exists after an ingest");
    let schema = store.env("BRAINSTORE__POSTGRES__SCHEMA").expect("a schema").to_owned();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        use sqlx::Connection;
        let mut connection = sqlx::PgConnection::connect(&common::database_url()).await.expect("connect");
        let drop = format!("DROP INDEX \"{schema}\".\"bs_chunks_{collection}_embedding\"");
        // The schema comes from the test harness and the collection from `status`: no user input.
        sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&mut connection).await.expect("the index drops");
    });
    let status = store.json(&["status"]);
    let warnings = status["warnings"].as_array().expect("warnings");
    assert!(warnings.iter().any(|w| w.as_str().is_some_and(|w| w.contains("vector index is missing"))), "{status}");
    store.run(&["status"]).ok().stdout_has("warning").stdout_has("vector index is missing");
    store.run(&["init", "--dimensions", "3"]).ok();
    assert_eq!(store.vector_indexes(), vec![collection], "init builds the missing index");
    assert!(store.json(&["status"])["warnings"].as_array().is_some_and(Vec::is_empty));
}
