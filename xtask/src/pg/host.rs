//! The machine side of `cargo xtask pg`: the wheel install, the unprivileged OS user, the directories.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

use super::Flavor;
use crate::{Result, project_root};

/// The OS user PostgreSQL runs as when xtask runs as root (`initdb` and `postgres` refuse root).
const PG_OS_USER: &str = "brainstore-pg";

/// Unix socket paths are limited to 107 bytes; this leaves room for `/.s.PGSQL.65535`.
const MAX_SOCKET_DIR_LEN: usize = 90;

/// An OS user that PostgreSQL can run as.
#[derive(Debug, Clone)]
pub(crate) struct OsUser {
    pub(crate) name: String,
    uid: u32,
    gid: u32,
}

/// Where one flavor's files go, and as whom the server runs.
#[derive(Debug)]
pub(crate) struct Layout {
    /// `<project root>/.cache`, or a temp folder when the PostgreSQL user cannot reach the project.
    pub(crate) base: PathBuf,
    pub(crate) run_as: Option<OsUser>,
}

/// `<project root>/.cache/pg/<flavor>.state`: always in the project, whatever `Layout::base` is.
pub(crate) fn state_path(flavor: Flavor) -> Result<PathBuf> {
    let dir = project_root().join(".cache").join("pg");
    fs::create_dir_all(&dir).map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
    Ok(dir.join(format!("{}.state", flavor.name())))
}

/// Whether this process runs as root (asked once, through `id -u`).
pub(crate) fn is_root() -> Result<bool> {
    static IS_ROOT: OnceLock<bool> = OnceLock::new();
    if let Some(is_root) = IS_ROOT.get() {
        return Ok(*is_root);
    }
    let uid = id(&["-u"])?;
    Ok(*IS_ROOT.get_or_init(|| uid == 0))
}

/// Chooses the directories for a new server, creating the OS user first when running as root.
pub(crate) fn layout() -> Result<Layout> {
    let cache = project_root().join(".cache");
    create_dir(&cache)?;
    if !is_root()? {
        return Ok(Layout { base: cache, run_as: None });
    }
    let user = ensure_os_user()?;
    // The server reads its binaries and data through every parent directory; /root, for one, is not
    // traversable by other users, so such a project keeps its PostgreSQL files in a temp folder instead.
    let reachable = Command::new("runuser")
        .args(["-u", &user.name, "--", "test", "-x"])
        .arg(&cache)
        .current_dir("/")
        .stdin(Stdio::null())
        .status()
        .map_err(|error| format!("cannot run `runuser` (util-linux): {error}"))?
        .success();
    let base = if reachable {
        cache
    } else {
        let hash = fnv1a(project_root().as_os_str().as_bytes()) & 0xffff_ffff_ffff;
        let base = std::env::temp_dir().join(format!("brainstore-pg-{hash:012x}"));
        create_dir(&base)?;
        let owner = fs::metadata(&base).map_err(|error| format!("cannot stat {}: {error}", base.display()))?.uid();
        if owner != 0 {
            return Err(format!("{} belongs to uid {owner}, not root: remove it and try again", base.display()).into());
        }
        base
    };
    Ok(Layout { base, run_as: Some(user) })
}

/// Creates `dir` (kept as it is, but mode 0755 under root so the PostgreSQL user can pass through).
pub(crate) fn create_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|error| format!("cannot create directory {}: {error}", dir.display()))?;
    if is_root()? {
        set_mode(dir, 0o755)?;
    }
    Ok(())
}

/// Creates `dir` with mode 0700, owned by `owner` when given: for the server's files and socket.
pub(crate) fn create_private_dir(dir: &Path, owner: Option<&OsUser>) -> Result<()> {
    fs::create_dir_all(dir).map_err(|error| format!("cannot create directory {}: {error}", dir.display()))?;
    if let Some(user) = owner {
        std::os::unix::fs::chown(dir, Some(user.uid), Some(user.gid))
            .map_err(|error| format!("cannot give {} to the OS user {}: {error}", dir.display(), user.name))?;
    }
    set_mode(dir, 0o700)
}

fn set_mode(dir: &Path, mode: u32) -> Result<()> {
    fs::set_permissions(dir, fs::Permissions::from_mode(mode))
        .map_err(|error| format!("cannot set mode {mode:o} on {}: {error}", dir.display()).into())
}

/// A socket directory short enough for a Unix socket path: `preferred`, or one in the temp folder.
pub(crate) fn socket_dir(preferred: PathBuf, flavor: Flavor) -> PathBuf {
    if preferred.as_os_str().len() <= MAX_SOCKET_DIR_LEN {
        return preferred;
    }
    let hash = fnv1a(project_root().as_os_str().as_bytes()) & 0xffff_ffff;
    std::env::temp_dir().join(format!("brainstore-pg-{hash:08x}-{}", flavor.name()))
}

/// Installs the flavor's wheel (see [`crate::wheels`]) unless it is there; returns its `bin/`.
pub(crate) fn ensure_wheel(base: &Path, flavor: Flavor) -> Result<PathBuf> {
    let folder = crate::wheels::ensure(base, &flavor.wheel())?;
    Ok(wheel_bin_dir(&folder))
}

fn wheel_bin_dir(wheel_target: &Path) -> PathBuf {
    wheel_target.join("pgserver").join("pginstall").join("bin")
}

/// A PostgreSQL program from `bin_dir`, run as `run_as` through `runuser` when given, in `cwd`.
pub(crate) fn pg_command(bin_dir: &Path, program: &str, run_as: Option<&str>, cwd: &Path) -> Command {
    let program = bin_dir.join(program);
    let mut command = match run_as {
        Some(user) => {
            let mut command = Command::new("runuser");
            command.args(["-u", user, "--"]).arg(program);
            command
        }
        None => Command::new(program),
    };
    // The user's libpq variables must not redirect our commands to another server or data dir.
    for variable in ["PGDATA", "PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER", "PGDATABASE", "PGOPTIONS", "PGSERVICE"] {
        command.env_remove(variable);
    }
    // A cwd the server user cannot enter (such as /root/...) makes initdb and pg_ctl fail.
    command.current_dir(cwd).stdin(Stdio::null());
    command
}

/// Runs `command`, capturing its output; the error names `what` and shows the output.
pub(crate) fn run_captured(command: &mut Command, what: &str) -> Result<String> {
    let output = command.output().map_err(|error| format!("cannot run {what}: {error}"))?;
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    if output.status.success() {
        Ok(text)
    } else {
        Err(format!("{what} failed ({}):\n{}", output.status, text.trim_end()).into())
    }
}

/// The OS user for the server, created once (idempotently) with `useradd --system`.
fn ensure_os_user() -> Result<OsUser> {
    // Both flavors may start at once: one thread at a time checks and creates the user.
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Ok(user) = lookup_user(PG_OS_USER) {
        return Ok(user);
    }
    let output = Command::new("useradd")
        .args(["--system", "--no-create-home", "--user-group", "--shell", "/usr/sbin/nologin", PG_OS_USER])
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("cannot run `useradd` to create the OS user {PG_OS_USER}: {error}"))?;
    // Another process may have created it meanwhile: what counts is that it exists now.
    lookup_user(PG_OS_USER).map_err(|_| {
        format!(
            "cannot create the OS user {PG_OS_USER} that PostgreSQL runs as under root ({}): {}; \
             create it with `useradd --system --no-create-home {PG_OS_USER}` or run xtask as a normal user",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into()
    })
}

fn lookup_user(name: &str) -> Result<OsUser> {
    Ok(OsUser { name: name.to_owned(), uid: id(&["-u", name])?, gid: id(&["-g", name])? })
}

fn id(args: &[&str]) -> Result<u32> {
    let output = Command::new("id").args(args).stdin(Stdio::null()).output();
    let output = output.map_err(|error| format!("cannot run `id`: {error}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(
            format!("`id {}` failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim()).into()
        );
    }
    text.trim().parse().map_err(|_| format!("`id {}` printed `{}`, not a number", args.join(" "), text.trim()).into())
}

/// FNV-1a: a hash that stays the same across Rust versions, for stable temp folder names.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3))
}

/// Quotes `path` for the `sh -c` line that `pg_ctl -o` builds.
pub(crate) fn shell_quote(path: &OsStr) -> String {
    format!("'{}'", path.to_string_lossy().replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_test_vector() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn shell_quote_survives_single_quotes_and_spaces() {
        assert_eq!(shell_quote(OsStr::new("/tmp/it's here")), r"'/tmp/it'\''s here'");
    }

    #[test]
    fn long_socket_dirs_move_to_the_temp_folder() {
        let short = PathBuf::from("/work/main/.cache/pg/current/socket");
        assert_eq!(socket_dir(short.clone(), Flavor::Current), short);
        let long = PathBuf::from(format!("/{}/socket", "deep/".repeat(30)));
        assert!(socket_dir(long, Flavor::Current).as_os_str().len() <= MAX_SOCKET_DIR_LEN);
    }
}
