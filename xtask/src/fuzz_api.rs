//! `cargo xtask fuzz-api`: schemathesis (PyPI, in a venv under `.cache/`) against `/openapi.json` of a server on an embedded temp store.
//!
//! Checks: no 5xx, every status, content type, header and body as the document says. It exits non-zero on
//! any failure. The run is time-boxed (`--max-time`, 120 s by default), so it stays out of `cargo xtask test`.

use std::process::{Command, ExitCode};

use clap::Args;

use crate::project_root;
use crate::server::{ServerProcess, build_brainstore};

/// The schemathesis release this task installs.
const SCHEMATHESIS: &str = "schemathesis==4.32.5";

/// The checks: no server error and no response the document does not describe.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_headers_conformance,response_schema_conformance";

#[derive(Debug, Args)]
pub(crate) struct FuzzApiArgs {
    /// Seconds schemathesis may spend generating and sending requests.
    #[arg(long, default_value_t = 120)]
    pub(crate) max_time: u32,
    /// Extra arguments for `st run` (e.g. `--checks all`, `--seed N`).
    #[arg(last = true)]
    pub(crate) st_args: Vec<String>,
}

pub(crate) fn run(args: &FuzzApiArgs) -> crate::Result<ExitCode> {
    let st = install()?;
    let binary = build_brainstore(false)?;
    let dir = tempfile::tempdir()?;
    let token = format!("fuzz-api-{}-{:x}", std::process::id(), nanos());
    let env = [
        ("BRAINSTORE_BACKEND", "embedded".to_owned()),
        ("BRAINSTORE_DATA_DIR", dir.path().join("store").display().to_string()),
        ("BRAINSTORE_TOKEN", token.clone()),
    ];
    let mut server = ServerProcess::start(&binary, dir.path(), &env, &[])?;
    eprintln!("fuzz-api: schemathesis against {}/openapi.json for {} s", server.url, args.max_time);
    let status = Command::new(&st)
        .arg("run")
        .arg(format!("{}/openapi.json", server.url))
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--checks", CHECKS, "--workers", "2", "--max-time", &args.max_time.to_string()])
        .args(&args.st_args)
        .status()
        .map_err(|e| format!("cannot run {}: {e}", st.display()))?;
    let clean_stop = server.stop();
    if !clean_stop {
        eprintln!("fuzz-api: the server did not exit cleanly; its log: {}", server.log.display());
    }
    let log = std::fs::read_to_string(&server.log).unwrap_or_default();
    if log.contains("panicked") {
        eprintln!("fuzz-api: the server log shows a panic:\n{log}");
        return Ok(ExitCode::FAILURE);
    }
    Ok(if status.success() && clean_stop { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The `st` executable of the venv under `.cache/schemathesis`, created and filled when missing.
fn install() -> crate::Result<std::path::PathBuf> {
    let venv = project_root().join(".cache").join("schemathesis");
    let st = venv.join("bin").join("st");
    if st.is_file() {
        return Ok(st);
    }
    eprintln!("fuzz-api: installing {SCHEMATHESIS} into {}", venv.display());
    let created = Command::new("python3").arg("-m").arg("venv").arg(&venv).status()?;
    if !created.success() {
        return Err("python3 -m venv failed: install python3 and python3-venv".into());
    }
    let installed = Command::new(venv.join("bin").join("pip")).args(["install", "--quiet", SCHEMATHESIS]).status()?;
    if !installed.success() || !st.is_file() {
        return Err(format!("pip install {SCHEMATHESIS} failed").into());
    }
    Ok(st)
}

fn nanos() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}
