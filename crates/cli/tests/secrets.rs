//! No password in any output: `p@ss:word/123` sent through the configuration, a failed connection and `status`, then every stream grepped.

mod common;

use std::net::TcpListener;

use common::{Outcome, Store, database_url};

const PASSWORD: &str = "p@ss:word/123";
const ENCODED: &str = "p%40ss%3Aword%2F123";

/// A port nothing listens on: bound, then released.
fn dead_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0)).and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

#[track_caller]
fn assert_no_password(outcome: &Outcome) {
    for (name, text) in [("stdout", &outcome.stdout), ("stderr", &outcome.stderr)] {
        for secret in [PASSWORD, ENCODED, "p@ss", "word/123"] {
            assert!(!text.contains(secret), "{name} shows `{secret}`:\n{text}");
        }
    }
}

/// A store configured for PostgreSQL through a URL holding the password, with quick retries.
fn with_password(url: &str) -> Store {
    let mut store = Store::embedded("secrets");
    store.remove_env("BRAINSTORE_DATA_DIR");
    store.set_env("BRAINSTORE_BACKEND", "postgres");
    store.set_env("DATABASE_URL", url);
    store.set_env("BRAINSTORE__POSTGRES__CONNECT_ATTEMPTS", "2");
    store.set_env("BRAINSTORE__POSTGRES__CONNECT_BACKOFF_MS", "5");
    store.set_env("BRAINSTORE__POSTGRES__SCHEMA", &common::unique_schema("secrets"));
    store
}

/// The test server's URL with the password put into its user info (the test server trusts local
/// connections, so it still connects).
fn test_url_with_password() -> String {
    let url = database_url();
    let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
    let (user_info, host) = rest.split_once('@').expect("the test URL names a user");
    let user = user_info.split(':').next().unwrap_or(user_info);
    format!("{scheme}://{user}:{ENCODED}@{host}")
}

#[test]
fn config_show_redacts_the_password_from_every_source() {
    let port = dead_port();
    let store = with_password(&format!("postgres://brainstore:{ENCODED}@127.0.0.1:{port}/brainstore"));
    let outcome = store.run(&["config", "show"]);
    outcome.ok().stdout_has("postgres.password").stdout_has("********");
    assert_no_password(&outcome);
    let outcome = store.run(&["--json", "config", "show"]);
    outcome.ok();
    assert_no_password(&outcome);
    assert_eq!(outcome.json()["config"]["postgres"]["password"], "********");

    let mut from_file = with_password("postgres://x@127.0.0.1:1/db");
    from_file.remove_env("DATABASE_URL");
    from_file.write("brainstore.yaml", &format!("postgres:\n  password: \"{PASSWORD}\"\n"));
    from_file.set_env("BRAINSTORE__POSTGRES__PASSWORD", PASSWORD);
    let outcome = from_file.run(&["-vvv", "config", "show"]);
    outcome.ok().stdout_has("********");
    assert_no_password(&outcome);
}

#[test]
fn a_failed_connection_names_the_server_not_the_password() {
    let port = dead_port();
    let store = with_password(&format!("postgres://brainstore:{ENCODED}@127.0.0.1:{port}/brainstore"));
    for args in [&["status"][..], &["-vvv", "status"], &["--json", "count"], &["init", "--dimensions", "3"]] {
        let outcome = store.run(args);
        outcome.code(4).no_stdout().stderr_has(&format!("127.0.0.1:{port}")).stderr_has("2 attempt(s)");
        assert_no_password(&outcome);
    }
    let mut flagged = with_password("postgres://nobody@127.0.0.1:1/nothing");
    flagged.remove_env("DATABASE_URL");
    let url = format!("postgres://brainstore:{ENCODED}@127.0.0.1:{port}/brainstore");
    let outcome = flagged.run(&["--database-url", &url, "status"]);
    outcome.code(4).stderr_has(&format!("127.0.0.1:{port}"));
    assert_no_password(&outcome);
}

#[test]
fn a_malformed_url_is_refused_without_echoing_it() {
    let store = with_password(&format!("postgres://brainstore:{PASSWORD}@db.example.com/brainstore"));
    let outcome = store.run(&["status"]);
    outcome.code(2).stderr_has("DATABASE_URL");
    assert_no_password(&outcome);
    let outcome = Store::embedded("secrets_copy").run(&["copy", "--to", &format!("postgres://u:{PASSWORD}@h:x/d")]);
    outcome.code(2);
    assert_no_password(&outcome);
}

#[test]
fn status_on_a_live_server_shows_no_password() {
    let store = with_password(&test_url_with_password());
    store.run(&["init", "--dimensions", "3"]).ok();
    for args in [&["status"][..], &["--json", "status"], &["-vvv", "status"], &["--json", "config", "show"]] {
        let outcome = store.run(args);
        outcome.ok();
        assert_no_password(&outcome);
    }
    let status = store.json(&["status"]);
    assert_eq!(status["backend"], "postgres");
    assert!(status["pool"]["pool_size"].is_u64(), "{status}");
}
