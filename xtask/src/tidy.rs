//! `cargo xtask tidy`: the house rules no compiler checks, also run as a `#[test]` so `cargo xtask test`
//! enforces them.
//!
//! Every Rust file opens with a `//!` doc; no file passes the size budget; crate docs stay short; the
//! cli's `main.rs` stays thin; no test is skipped or expected to panic; no stub is left in; no secret-looking
//! string sits in a tracked file.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The largest Rust file, in lines (docs/conventions.md §4: split before ~600).
const MAX_FILE_LINES: usize = 600;

/// The longest crate-level doc of a `lib.rs` or `main.rs`, in `//!` lines.
const MAX_CRATE_DOC_LINES: usize = 16;

/// The cli's `main.rs` only parses, runs and maps the exit code.
const MAX_CLI_MAIN_LINES: usize = 40;

/// Folders whose files are checked, relative to the project root.
const CHECKED_DIRS: &[&str] = &["crates", "xtask", "examples", "templates", "docs"];

/// Runs every check and prints what fails.
pub(crate) fn run() -> crate::Result<ExitCode> {
    let problems = check(&crate::project_root())?;
    if problems.is_empty() {
        println!("tidy: ok");
        return Ok(ExitCode::SUCCESS);
    }
    for problem in &problems {
        eprintln!("tidy: {problem}");
    }
    eprintln!("tidy: {} problem(s)", problems.len());
    Ok(ExitCode::FAILURE)
}

/// Every problem found under `root`, as `path: what is wrong`.
pub(crate) fn check(root: &Path) -> crate::Result<Vec<String>> {
    let mut files = Vec::new();
    for dir in CHECKED_DIRS {
        collect(&root.join(dir), &mut files)?;
    }
    files.sort();
    let mut problems = Vec::new();
    for path in &files {
        let Ok(text) = fs::read_to_string(path) else { continue };
        let shown = path.strip_prefix(root).unwrap_or(path).display().to_string();
        if let Some(secret) = secret_like(&text) {
            problems.push(format!("{shown}: contains something that looks like a secret ({secret})"));
        }
        if path.extension().is_some_and(|e| e == "rs") {
            check_rust(&shown, &text, &mut problems);
        }
    }
    Ok(problems)
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> crate::Result<()> {
    let Ok(entries) = fs::read_dir(dir) else { return Ok(()) };
    for entry in entries {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name == "target" || name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

/// Patterns assembled from pieces so this file does not trip its own checks.
fn forbidden_attributes() -> [String; 2] {
    [format!("#[{}", "ignore"), format!("#[{}", "should_panic")]
}

fn forbidden_stubs() -> [String; 2] {
    [format!("{}!(", "todo"), format!("{}!(", "unimplemented")]
}

fn check_rust(shown: &str, text: &str, problems: &mut Vec<String>) {
    let lines: Vec<&str> = text.lines().collect();
    if !lines.iter().find(|l| !l.trim().is_empty()).is_some_and(|l| l.starts_with("//!")) {
        problems.push(format!("{shown}: does not open with a `//!` line saying what the file holds"));
    }
    if lines.len() > MAX_FILE_LINES {
        problems.push(format!("{shown}: {} lines; split it by concept (budget {MAX_FILE_LINES})", lines.len()));
    }
    let is_crate_root = shown.ends_with("/lib.rs") || shown.ends_with("/main.rs");
    let doc_lines = lines.iter().take_while(|l| l.starts_with("//!")).count();
    if is_crate_root && doc_lines > MAX_CRATE_DOC_LINES {
        problems.push(format!("{shown}: crate doc of {doc_lines} lines; keep it under {MAX_CRATE_DOC_LINES}"));
    }
    if shown == "crates/cli/src/main.rs" && lines.len() > MAX_CLI_MAIN_LINES {
        problems.push(format!("{shown}: {} lines; main only parses, runs and exits", lines.len()));
    }
    for (idx, line) in lines.iter().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        for pattern in forbidden_attributes() {
            if code.contains(&pattern) {
                problems.push(format!("{shown}:{}: `{pattern}]`: tests never skip or expect panics", idx + 1));
            }
        }
        for pattern in forbidden_stubs() {
            if code.contains(&pattern) {
                problems.push(format!("{shown}:{}: `{pattern}`: a stub is not done", idx + 1));
            }
        }
    }
}

/// A short description of the first secret-looking string in `text`: a private key block, an OpenAI-style
/// `sk-` key or an AWS access key id.
fn secret_like(text: &str) -> Option<&'static str> {
    if text.contains(&format!("-----BEGIN {}", "PRIVATE KEY"))
        || text.contains(&format!("-----BEGIN RSA {}", "PRIVATE KEY"))
    {
        return Some("a private key block");
    }
    let bytes = text.as_bytes();
    for (idx, window) in bytes.windows(3).enumerate() {
        let run = |start: usize, ok: fn(u8) -> bool| bytes[start..].iter().take_while(|b| ok(**b)).count();
        if window == b"sk-" && run(idx + 3, |b| b.is_ascii_alphanumeric()) >= 32 {
            return Some("an `sk-` API key");
        }
        if window == b"AKI"
            && bytes.get(idx + 3) == Some(&b'A')
            && run(idx + 4, |b| b.is_ascii_uppercase() || b.is_ascii_digit()) == 16
        {
            return Some("an AWS access key id");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_is_tidy() {
        let problems = check(&crate::project_root()).expect("the tree is readable");
        assert!(problems.is_empty(), "run `cargo xtask tidy`:\n{}", problems.join("\n"));
    }

    #[test]
    fn each_rule_catches_what_it_should() {
        let mut problems = Vec::new();
        let skipped = format!("//! Doc.\n{}]\nfn t() {{}}\n", forbidden_attributes()[0]);
        check_rust("crates/x/tests/a.rs", &skipped, &mut problems);
        check_rust("crates/x/src/b.rs", "fn undocumented() {}\n", &mut problems);
        check_rust("crates/x/src/c.rs", &format!("//! Doc.\n{}", "\n".repeat(MAX_FILE_LINES + 1)), &mut problems);
        check_rust("crates/x/src/d.rs", &format!("//! Doc.\nfn f() {{ {}) }}\n", forbidden_stubs()[0]), &mut problems);
        assert_eq!(problems.len(), 4, "{problems:#?}");
        assert!(secret_like(&format!("key = \"sk-{}\"", "a1".repeat(20))).is_some());
        assert!(secret_like(&format!("AKIA{}", "ABCDEFGHIJKLMNOP")).is_some());
        assert!(secret_like("p@ss:word/123 is the test sentinel, not a secret").is_none());
    }
}
