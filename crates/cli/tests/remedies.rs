//! Every remedy the command line prints is a command of this command line: each test provokes a refusal, runs the command its message names, and then succeeds where it was refused.

mod common;

use common::{Outcome, Store, chunk_line, one_hot};

/// The `brainstore …` command a refusal names, with `N` given as `dimensions`, as arguments.
#[track_caller]
fn named_command(outcome: &Outcome, dimensions: &str) -> Vec<String> {
    let start = outcome.stderr.find("`brainstore ").unwrap_or_else(|| panic!("no command named: {}", outcome.stderr));
    let rest = &outcome.stderr[start + "`brainstore ".len()..];
    let command = &rest[..rest.find('`').expect("the command's closing backtick")];
    command.split_whitespace().map(|word| if word == "N" { dimensions.to_owned() } else { word.to_owned() }).collect()
}

#[track_caller]
fn run_named(store: &Store, outcome: &Outcome, dimensions: &str) {
    let args = named_command(outcome, dimensions);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    store.run(&args).ok();
}

both_backends! {
    fn a_missing_collection_names_the_init_that_creates_it(store) {
        store.run(&["init"]).ok();
        let file = store.write("chunks.jsonl", &chunk_line("a", "text only", serde_json::json!({}), None));
        let refused = store.run(&["--collection", "nope", "ingest", file.to_str().expect("utf-8")]);
        refused.code(3).stderr_has("collection `nope` is not initialized");
        run_named(&store, &refused, "3");
        store.run(&["--collection", "nope", "ingest", file.to_str().expect("utf-8")]).ok();
    }

    fn a_vector_without_a_space_names_the_init_that_records_one(store) {
        store.run(&["init"]).ok();
        let vector = one_hot(3, 0);
        let file = store.write("chunks.jsonl", &chunk_line("a", "x", serde_json::json!({}), Some(&vector)));
        let refused = store.run(&["ingest", file.to_str().expect("utf-8")]);
        refused.code(3).stderr_has("the embedding space of collection `default` is not initialized");
        run_named(&store, &refused, "3");
        store.run(&["ingest", file.to_str().expect("utf-8")]).ok();
    }

    fn a_memory_vector_without_a_space_names_the_command_that_records_it(store) {
        store.run(&["init"]).ok();
        let remember = ["memory", "remember", "the sky is blue", "--embedding", "[1, 0, 0]", "--embedding-model", "m"];
        let refused = store.run(&remember);
        refused.code(3).stderr_has("the memory embedding space is not initialized");
        assert!(!refused.stderr.contains("set_memory_embedding_space"), "{}", refused.stderr);
        run_named(&store, &refused, "3");
        store.run(&remember).ok();
    }

    fn another_memory_space_names_the_replace_flag(store) {
        store.run(&["init"]).ok();
        store.run(&["memory", "space", "set", "--dimensions", "3"]).ok();
        let refused = store.run(&["memory", "space", "set", "--dimensions", "4"]);
        refused.code(3).stderr_has("add --replace");
        store.run(&["memory", "space", "set", "--dimensions", "4", "--replace"]).ok();
    }
}
