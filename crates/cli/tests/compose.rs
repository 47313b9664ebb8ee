//! `brainstore compose`: free-port choice, file modes, no silent overwrite, and the settings it writes reaching `--backend postgres status`.

mod common;

use std::fs::File;
use std::net::TcpListener;

use common::Store;

/// The compose tests bind ports of one shared range: one at a time, or they would take each other's.
/// A file lock, because a test runner may put each test in a process of its own (nextest does).
fn ports() -> File {
    let path = std::env::temp_dir().join("brainstore-cli-compose-ports.lock");
    let file = File::create(&path).expect("create the port lock file");
    file.lock().expect("lock the compose port range");
    file
}

fn env_value(text: &str, name: &str) -> String {
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} missing from:\n{text}"))
        .to_owned()
}

#[test]
fn auto_port_skips_a_taken_5432_and_writes_both_files() {
    let _ports = ports();
    let store = Store::embedded("compose_auto");
    // Take 5432 (if something else holds it already, it is taken all the same).
    let _holder = TcpListener::bind(("127.0.0.1", 5432));
    let report = store.json(&["compose", "--port", "auto"]);
    let port = report["port"].as_u64().unwrap();
    assert!((5433..=5442).contains(&port), "5432 is taken, so the port is the next free one: {port}");
    let env_text = std::fs::read_to_string(store.path(".env.brainstore")).unwrap();
    assert_eq!(env_value(&env_text, "POSTGRES_PORT"), port.to_string());
    let password = env_value(&env_text, "POSTGRES_PASSWORD");
    assert!(password.len() >= 32 && password.chars().all(|c| c.is_ascii_hexdigit()), "{password}");
    assert_eq!(
        env_value(&env_text, "DATABASE_URL"),
        format!("postgres://brainstore:{password}@127.0.0.1:{port}/brainstore")
    );
    let compose = std::fs::read_to_string(store.path("docker-compose.yml")).unwrap();
    let template = include_str!("../../../templates/compose.template.yml");
    assert!(compose.ends_with(template), "docker-compose.yml is the template");
    assert!(!report.to_string().contains(&password), "the password is never printed: {report}");
}

#[test]
fn a_second_project_gets_a_different_password() {
    let _ports = ports();
    let (one, two) = (Store::embedded("compose_one"), Store::embedded("compose_two"));
    one.run(&["compose", "--port", "5439"]).ok();
    two.run(&["compose", "--port", "5439"]).ok();
    let password = |store: &Store| {
        env_value(&std::fs::read_to_string(store.path(".env.brainstore")).unwrap(), "POSTGRES_PASSWORD")
    };
    assert_ne!(password(&one), password(&two));
}

#[cfg(unix)]
#[test]
fn the_env_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let _ports = ports();
    let store = Store::embedded("compose_mode");
    store.run(&["compose", "--port", "5440"]).ok();
    let mode = std::fs::metadata(store.path(".env.brainstore")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // Overwriting a file that was world-readable narrows it too.
    std::fs::set_permissions(store.path(".env.brainstore"), std::fs::Permissions::from_mode(0o644)).unwrap();
    store.run(&["compose", "--port", "5440", "--force"]).ok();
    let mode = std::fs::metadata(store.path(".env.brainstore")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn existing_files_are_not_overwritten_without_force() {
    let _ports = ports();
    let store = Store::embedded("compose_force");
    store.write("docker-compose.yml", "mine\n");
    let outcome = store.run(&["compose", "--port", "5441"]);
    outcome.code(2).no_stdout().stderr_has("already exist").stderr_has("--force");
    assert_eq!(std::fs::read_to_string(store.path("docker-compose.yml")).unwrap(), "mine\n");
    assert!(!store.path(".env.brainstore").exists(), "nothing is written when one file is refused");
    store.run(&["compose", "--port", "5441", "--force"]).ok();
    assert_ne!(std::fs::read_to_string(store.path("docker-compose.yml")).unwrap(), "mine\n");
    store.run(&["compose", "--dir", "sub/project", "--port", "5441"]).ok();
    assert!(store.path("sub/project/.env.brainstore").is_file(), "--dir is created");
}

#[test]
fn no_free_port_is_a_clear_error() {
    let _ports = ports();
    let store = Store::embedded("compose_full");
    let _holders: Vec<_> = (5432..=5442).filter_map(|port| TcpListener::bind(("127.0.0.1", port)).ok()).collect();
    let outcome = store.run(&["compose", "--port", "auto"]);
    outcome.code(2).stderr_has("every port from 5432 to 5442 is in use").stderr_has("--port N");
    assert!(!store.path(".env.brainstore").exists());
    store.run(&["compose", "--port", "seventy"]).code(2).stderr_has("--port: `seventy`");
}

#[test]
fn postgres_status_reads_the_written_env_file() {
    let _ports = ports();
    let mut store = Store::embedded("compose_status");
    store.remove_env("BRAINSTORE_BACKEND");
    store.remove_env("BRAINSTORE_DATA_DIR");
    // Nothing listens on the chosen port, and retries are cut short.
    store.write("brainstore.yaml", "postgres:\n  connect_attempts: 2\n  connect_backoff_ms: 5\n  connect_timeout: 2\n");
    let port = store.json(&["compose"])["port"].as_u64().unwrap();
    let password = env_value(&std::fs::read_to_string(store.path(".env.brainstore")).unwrap(), "POSTGRES_PASSWORD");
    let values = store.json(&["config", "show"]);
    let rows = values["values"].as_array().unwrap();
    let row = |key: &str| rows.iter().find(|row| row["key"] == key).unwrap().clone();
    assert_eq!(row("postgres.port")["value"], port);
    assert_eq!(row("postgres.port")["source"], "DATABASE_URL (.env.brainstore DATABASE_URL)");
    assert_eq!(row("postgres.password")["value"], "********");
    let outcome = store.run(&["--backend", "postgres", "status"]);
    outcome.code(4).stderr_has(&format!("127.0.0.1:{port}")).stderr_has("2 attempt");
    for text in [&outcome.stdout, &outcome.stderr, &values.to_string()] {
        assert!(!text.contains(&password), "the password leaked: {text}");
    }
}

#[test]
fn the_port_is_published_on_loopback_and_the_message_says_so() {
    let _ports = ports();
    let store = Store::embedded("compose_bind");
    let outcome = store.run(&["compose", "--port", "5438"]);
    outcome.ok();
    let env_text = std::fs::read_to_string(store.path(".env.brainstore")).unwrap();
    let bind = env_value(&env_text, "POSTGRES_BIND");
    assert_eq!(bind, "127.0.0.1", "the env file publishes on this machine only");
    outcome.stdout_has(&format!("PostgreSQL will listen on {bind}:5438"));
    // The compose file publishes on POSTGRES_BIND, so the message and the env file are what Docker does.
    let compose = std::fs::read_to_string(store.path("docker-compose.yml")).unwrap();
    assert!(compose.contains("\"${POSTGRES_BIND:-127.0.0.1}:${POSTGRES_PORT:-5432}:5432\""), "{compose}");
}
