//! Test-harness glue (feature `testing`): the URLs of the PostgreSQL servers `cargo xtask test` provides.
//!
//! Every PostgreSQL test gets its URL from [`test_database_url`]. A missing URL panics: a PostgreSQL test
//! never skips. Each call also appends `<flavor>\t<test name>\t<process id>` to the ledger file named by
//! `BRAINSTORE_TEST_PG_LEDGER` (set by `cargo xtask test`), which counts the tests that reached each server.

use std::io::Write;

/// The variable naming the ledger file that `cargo xtask test` reads back after the run.
pub const LEDGER_VARIABLE: &str = "BRAINSTORE_TEST_PG_LEDGER";

/// Which of the two test servers a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TestServer {
    /// PostgreSQL 18 with pgvector 0.8: the main test server.
    Current,
    /// PostgreSQL 16 with pgvector 0.6: the compatibility server (the seed's target).
    Compat,
}

impl TestServer {
    /// Both servers, `Current` first.
    pub const ALL: [Self; 2] = [Self::Current, Self::Compat];

    /// The environment variable holding this server's URL.
    pub const fn url_variable(self) -> &'static str {
        match self {
            Self::Current => "BRAINSTORE_TEST_DATABASE_URL",
            Self::Compat => "BRAINSTORE_TEST_DATABASE_URL_COMPAT",
        }
    }

    /// The flavor name written to the ledger (`cargo xtask pg` uses the same names).
    pub const fn flavor(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::Compat => "compat",
        }
    }
}

/// The URL of `server`, from `BRAINSTORE_TEST_DATABASE_URL` (`Current`) or
/// `BRAINSTORE_TEST_DATABASE_URL_COMPAT` (`Compat`); records the calling test in the ledger.
///
/// # Panics
///
/// When the variable is unset or empty (run the tests through `cargo xtask test`, which starts both
/// servers), or when the ledger file named by `BRAINSTORE_TEST_PG_LEDGER` cannot be written.
pub fn test_database_url(server: TestServer) -> String {
    let variable = server.url_variable();
    let url = match std::env::var(variable) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "{variable} is not set: PostgreSQL tests never skip. Run them through `cargo xtask test`, which starts \
             PostgreSQL 18 and 16 with pgvector and sets it, or start a server with `cargo xtask pg start{}` and \
             export {variable}=$(cargo xtask pg url{})",
            flag(server),
            flag(server)
        ),
    };
    record_in_ledger(server);
    url
}

fn flag(server: TestServer) -> &'static str {
    match server {
        TestServer::Current => "",
        TestServer::Compat => " --compat",
    }
}

/// Appends `<flavor>\t<test name>\t<process id>` to the ledger, when `cargo xtask test` set one.
fn record_in_ledger(server: TestServer) {
    let Some(ledger) = std::env::var_os(LEDGER_VARIABLE) else {
        return;
    };
    // libtest and nextest run each test on a thread named after it.
    let thread = std::thread::current();
    let test_name = thread.name().unwrap_or("unnamed thread");
    let line = format!("{}\t{test_name}\t{}\n", server.flavor(), std::process::id());
    // One `write_all` of a short line to a file opened for appending: concurrent tests do not interleave.
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&ledger)
        .and_then(|mut file| file.write_all(line.as_bytes()));
    if let Err(error) = written {
        panic!("cannot append to the PostgreSQL test ledger {} ({LEDGER_VARIABLE}): {error}", ledger.to_string_lossy());
    }
}
