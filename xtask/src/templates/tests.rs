//! Tests of the templates: the compose copies are current and well formed; the Azure script is sound.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_norway::Value;

use super::*;

const AZURE_SCRIPT: &str = "templates/azure/provision-postgres.sh";

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// A temp copy of the templates' source and copies, so a test can break them without touching the tree.
fn temp_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for relative in std::iter::once(SOURCE).chain(COPIES) {
        let target = dir.path().join(relative);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::copy(project_root().join(relative), &target).unwrap();
    }
    dir
}

/// Compose's `${NAME:-default}` interpolation: the variable's value when set and non-empty, else the default.
fn interpolate(text: &str, variables: &[(&str, &str)]) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = start + rest[start..].find('}').expect("an interpolation closes");
        let (name, default) = rest[start + 2..end].split_once(":-").expect("every variable has a default");
        let value = variables.iter().find(|(key, _)| *key == name).map(|(_, value)| *value);
        out.push_str(value.filter(|value| !value.is_empty()).unwrap_or(default));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn compose_copies_are_identical_and_equal_to_the_generated_text() {
    let root = project_root();
    let expected = generated(&root).unwrap();
    assert!(expected.starts_with(HEADER));
    for copy in COPIES {
        assert_eq!(read(&root.join(copy)), expected, "{copy} is stale: run `cargo xtask templates generate`");
    }
    check(&root).unwrap();
}

#[test]
fn compose_copies_parse_as_yaml_with_the_postgres_service() {
    for copy in COPIES {
        let compose: Value = serde_norway::from_str(&read(&project_root().join(copy))).unwrap();
        let service = &compose["services"]["postgres"];
        assert_eq!(service["image"].as_str(), Some("pgvector/pgvector:${BRAINSTORE_PG_IMAGE_TAG:-pg16}"), "{copy}");
        assert_eq!(service["restart"].as_str(), Some("unless-stopped"), "{copy}");
        let environment = &service["environment"];
        assert_eq!(environment["POSTGRES_USER"].as_str(), Some("brainstore"), "{copy}");
        assert_eq!(environment["POSTGRES_DB"].as_str(), Some("brainstore"), "{copy}");
        assert_eq!(environment["POSTGRES_PASSWORD"].as_str(), Some("${POSTGRES_PASSWORD:-brainstore_dev}"), "{copy}");
        let ports = service["ports"][0].as_str().unwrap();
        assert_eq!(
            interpolate(ports, &[]),
            "127.0.0.1:5432:5432",
            "{copy}: loopback only unless POSTGRES_BIND opens it"
        );
        let opened = interpolate(ports, &[("POSTGRES_BIND", "0.0.0.0"), ("POSTGRES_PORT", "5433")]);
        assert_eq!(opened, "0.0.0.0:5433:5432", "{copy}: POSTGRES_BIND and POSTGRES_PORT are honoured");

        let healthcheck = &service["healthcheck"];
        let test: Vec<&str> =
            healthcheck["test"].as_sequence().unwrap().iter().map(|word| word.as_str().unwrap()).collect();
        assert_eq!(test, ["CMD-SHELL", "pg_isready -U brainstore -d brainstore"], "{copy}");
        for (key, value) in [("interval", "10s"), ("timeout", "5s"), ("start_period", "30s")] {
            assert_eq!(healthcheck[key].as_str(), Some(value), "{copy}: healthcheck.{key}");
        }
        assert_eq!(healthcheck["retries"].as_u64(), Some(5), "{copy}");
        assert!(service["labels"].as_mapping().is_some_and(|labels| !labels.is_empty()), "{copy}: labels");

        // A named volume at the data directory, declared at the top level.
        let mount = service["volumes"][0].as_str().unwrap();
        let (volume, target) = mount.split_once(':').unwrap();
        assert_eq!(target, "/var/lib/postgresql/data", "{copy}");
        assert!(compose["volumes"].as_mapping().unwrap().contains_key(volume), "{copy}: volume {volume} not declared");

        // Fixed global names collide when two projects share a host: Compose must prefix them.
        assert!(service.get("container_name").is_none(), "{copy}: container_name must not be set");
        assert!(compose["volumes"][volume].get("name").is_none(), "{copy}: the volume must not have a fixed name");
    }
}

#[test]
fn check_names_the_hand_edited_copy_and_its_first_differing_line() {
    let tree = temp_tree();
    check(tree.path()).unwrap();
    let copy = COPIES[1];
    let path = tree.path().join(copy);
    let edited = read(&path).replace("retries: 5", "retries: 50");
    fs::write(&path, edited).unwrap();

    let message = check(tree.path()).unwrap_err().to_string();
    let line_number = read(&path).lines().position(|line| line.contains("retries: 50")).unwrap() + 1;
    assert!(message.contains(&format!("{copy} is stale: line {line_number} differs")), "{message}");
    assert!(message.contains(r#"expected: "      retries: 5\n""#), "{message}");
    assert!(message.contains(r#"found:    "      retries: 50\n""#), "{message}");
    assert!(message.ends_with("run `cargo xtask templates generate` and commit"), "{message}");
    assert!(!message.contains(COPIES[0]), "the untouched copy is not stale: {message}");

    assert_eq!(generate(tree.path()).unwrap(), [copy]);
    check(tree.path()).unwrap();
}

#[test]
fn check_fails_when_a_copy_is_missing_or_ends_early() {
    let tree = temp_tree();
    fs::remove_file(tree.path().join(COPIES[0])).unwrap();
    let message = check(tree.path()).unwrap_err().to_string();
    assert!(message.contains(&format!("{} is missing", COPIES[0])), "{message}");

    let truncated = "# GENERATED FILE: do not edit by hand.\n";
    let problem = compare("copy.yml", HEADER, Some(truncated)).unwrap();
    assert!(problem.contains("line 2 differs") && problem.contains("found:    <end of file>"), "{problem}");
    assert_eq!(compare("copy.yml", HEADER, Some(HEADER)), None);
}

#[test]
fn azure_script_passes_bash_syntax_check_and_shellcheck() {
    let script = project_root().join(AZURE_SCRIPT);
    let syntax = Command::new("bash").arg("-n").arg(&script).output().unwrap();
    assert!(syntax.status.success(), "bash -n: {}", String::from_utf8_lossy(&syntax.stderr));

    // `cargo xtask test` installs shellcheck from PyPI and names it; a bare `cargo test` needs it on PATH.
    let program = std::env::var_os(crate::test::SHELLCHECK_VARIABLE).unwrap_or_else(|| "shellcheck".into());
    let shellcheck = Command::new(&program).arg(&script).output().unwrap_or_else(|error| {
        panic!(
            "cannot run {} ({error}): run the tests with `cargo xtask test`, which installs it, or put shellcheck on PATH",
            program.to_string_lossy()
        )
    });
    assert!(shellcheck.status.success(), "shellcheck {AZURE_SCRIPT}:\n{}", String::from_utf8_lossy(&shellcheck.stdout));
}

#[test]
fn azure_dry_run_prints_the_az_commands_in_order_without_az_installed() {
    let output = Command::new("bash")
        .arg(project_root().join(AZURE_SCRIPT))
        .arg("--dry-run")
        .env("PATH", path_without("az"))
        .env_remove("POSTGRES_ADMIN_PASSWORD")
        .env_remove("CLIENT_IP")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "dry run failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));

    let subcommands: Vec<String> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("+ az "))
        .map(|command| command.split(' ').take_while(|word| !word.starts_with("--")).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        subcommands,
        [
            "account show",
            "group show",
            "group create",
            "postgres flexible-server show",
            "postgres flexible-server create",
            "postgres flexible-server parameter set",
            "postgres flexible-server db show",
            "postgres flexible-server db create",
            "postgres flexible-server firewall-rule create",
        ]
    );
    for expected in [
        "--sku-name Standard_B1ms --tier Burstable --version 16",
        "--name azure.extensions --value VECTOR",
        "--admin-password ********",
    ] {
        assert!(stdout.contains(expected), "dry run lacks `{expected}`:\n{stdout}");
    }
    let url = stdout.lines().last().unwrap();
    assert!(
        url.starts_with("DATABASE_URL=postgres://brainstore:********@") && url.ends_with("?sslmode=require"),
        "{url}"
    );
}

/// The current PATH without the directories that hold `program`.
fn path_without(program: &str) -> String {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let kept: Vec<PathBuf> = std::env::split_paths(&path).filter(|dir| !dir.join(program).exists()).collect();
    std::env::join_paths(kept).unwrap().into_string().unwrap()
}

#[test]
fn azure_dry_run_never_prints_the_admin_password() {
    let password = "p@ss:word/123";
    let output = Command::new("bash")
        .arg(project_root().join(AZURE_SCRIPT))
        .arg("--dry-run")
        .env("PATH", path_without("az"))
        .env("POSTGRES_ADMIN_PASSWORD", password)
        .env("CLIENT_IP", "203.0.113.7")
        .output()
        .unwrap();
    assert!(output.status.success());
    for stream in [&output.stdout, &output.stderr] {
        let text = String::from_utf8_lossy(stream);
        assert!(!text.contains(password) && !text.contains("p%40ss"), "the password leaked:\n{text}");
    }
    assert!(String::from_utf8_lossy(&output.stdout).contains("--start-ip-address 203.0.113.7"));
}
