//! The Python package's tests: a venv under `.cache/python` with the pinned test requirements from PyPI,
//! the package built into it with maturin (dev profile, sharing the workspace's `target/`), then pytest.
//!
//! Like [`crate::wheels`], an install goes to a private folder that is renamed when complete, so an
//! interrupted one never looks usable; the folder's name carries a hash of the requirements, so changing
//! a pin builds a new venv instead of patching the old one. Everything runs as `python -m ...`, which keeps
//! working after the rename (the scripts in `bin/` would name the old path).

use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Instant;

use crate::{Result, project_root};

/// The pinned requirements of the test venv (a `pip freeze`), relative to the project root.
const TEST_REQUIREMENTS: &str = "crates/python/tests/requirements.lock";

/// The package's folder, relative to the project root.
const PACKAGE: &str = "crates/python";

/// A venv's python: `<venv>/bin/python`.
pub(crate) fn python(venv: &Path) -> PathBuf {
    venv.join("bin").join("python")
}

/// A venv with every package of `requirements` (a file of `name==version` lines) installed with
/// `--no-deps`, under `<root>/.cache/python/<label>-<hash>`; built once, then reused.
pub(crate) fn ensure_venv(label: &str, requirements: &Path) -> Result<PathBuf> {
    let pins =
        fs::read_to_string(requirements).map_err(|error| format!("cannot read {}: {error}", requirements.display()))?;
    let mut hasher = DefaultHasher::new();
    pins.hash(&mut hasher);
    let base = project_root().join(".cache").join("python");
    let venv = base.join(format!("{label}-{:016x}", hasher.finish()));
    let marker = venv.join(".brainstore-complete");
    if marker.exists() {
        return Ok(venv);
    }
    fs::create_dir_all(&base).map_err(|error| format!("cannot create {}: {error}", base.display()))?;
    let partial = base.join(format!(".{label}.partial-{}", std::process::id()));
    if partial.exists() {
        fs::remove_dir_all(&partial).map_err(|error| format!("cannot remove {}: {error}", partial.display()))?;
    }
    eprintln!("xtask: creating the {label} venv from {} (PyPI, once)", requirements.display());
    let created = Command::new("python3").args(["-m", "venv"]).arg(&partial).stdin(Stdio::null()).status();
    check(created, "python3 -m venv", "install python3 with venv (Debian: `apt-get install python3-venv`)")?;
    let installed = Command::new(python(&partial))
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", "-r"])
        .arg(requirements)
        .env("PIP_ROOT_USER_ACTION", "ignore")
        .stdin(Stdio::null())
        .status();
    check(installed, "pip install -r requirements", "check that PyPI is reachable")?;
    fs::write(partial.join(".brainstore-complete"), pins)?;
    if let Err(error) = fs::rename(&partial, &venv) {
        // Another invocation may have finished the same venv first; theirs is as good as ours.
        let _ignored = fs::remove_dir_all(&partial);
        if !marker.exists() {
            return Err(format!("cannot move {} to {}: {error}", partial.display(), venv.display()).into());
        }
    }
    Ok(venv)
}

fn check(status: std::io::Result<ExitStatus>, what: &str, remedy: &str) -> Result<()> {
    match status {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("`{what}` failed ({status}): {remedy}").into()),
        Err(error) => Err(format!("cannot run `{what}`: {error}; {remedy}").into()),
    }
}

/// Builds the package into `venv` with `maturin develop` (`release` for benchmarks, the dev profile for tests,
/// whose dependencies the workspace's own test build has mostly compiled already), with its default features
/// (the local embedding model among them).
pub(crate) fn build_package(venv: &Path, release: bool) -> Result<()> {
    let mut command = Command::new(python(venv));
    command.args(["-m", "maturin", "develop", "--quiet", "--manifest-path"]);
    command.arg(project_root().join(PACKAGE).join("Cargo.toml"));
    if release {
        command.arg("--release");
    }
    let status = command.env("VIRTUAL_ENV", venv).env_remove("CONDA_PREFIX").stdin(Stdio::null()).status();
    check(status, "maturin develop", "see the cargo errors above")
}

/// Builds the package into the test venv and runs its pytest suite with the given environment (the
/// PostgreSQL URLs, the local model's folder); returns pytest's status. `extra` goes to pytest (`-k`, `-x`, ...).
pub(crate) fn run_tests(env: &[(&str, String)], extra: &[String]) -> Result<ExitStatus> {
    let root = project_root();
    let venv = ensure_venv("test-venv", &root.join(TEST_REQUIREMENTS))?;
    let started = Instant::now();
    build_package(&venv, false)?;
    let built = started.elapsed();
    let started = Instant::now();
    let mut command = Command::new(python(&venv));
    command.args(["-m", "pytest", "-q", "-p", "no:cacheprovider"]).args(extra).current_dir(root.join(PACKAGE));
    for (variable, value) in env {
        command.env(variable, value);
    }
    let status = command.stdin(Stdio::null()).status().map_err(|error| format!("cannot run pytest: {error}"))?;
    eprintln!(
        "xtask: python package built in {:.0} s, its tests ran in {:.0} s",
        built.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    Ok(status)
}
