//! `cargo xtask templates generate|check`: the docker compose copies, generated from one hand-edited source.

#[cfg(test)]
mod tests;

use std::fs;
use std::io::ErrorKind;
use std::path::Path;
use std::process::ExitCode;

use crate::flags::{TemplatesAction, TemplatesArgs};
use crate::{Result, project_root};

/// The one hand-edited source (`storage_postgres::compose`, which `brainstore compose` calls, `include_str!`s it).
const SOURCE: &str = "templates/compose.template.yml";

/// The generated copies, relative to the project root; they are byte-identical.
const COPIES: [&str; 2] =
    ["templates/server/docker-compose.postgres.yml", "templates/plugin/docker-compose.postgres.yml"];

/// What every generated copy starts with.
const HEADER: &str = "\
# GENERATED FILE: do not edit by hand.
# Generated from templates/compose.template.yml by `cargo xtask templates generate`: edit that file,
# run the command and commit; `cargo xtask templates check` (run by CI) fails when this copy is stale.

";

pub(crate) fn run(args: &TemplatesArgs) -> Result<ExitCode> {
    let root = project_root();
    match args.action {
        TemplatesAction::Generate => {
            for path in generate(&root)? {
                eprintln!("xtask: wrote {path}");
            }
        }
        TemplatesAction::Check => {
            check(&root)?;
            eprintln!("xtask: {} generated templates are up to date", COPIES.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The text every copy must hold: the header, then the source.
fn generated(root: &Path) -> Result<String> {
    let source_path = root.join(SOURCE);
    let source = fs::read_to_string(&source_path)
        .map_err(|error| format!("cannot read {} (the templates' source): {error}", source_path.display()))?;
    Ok(format!("{HEADER}{source}"))
}

/// Writes the copies that differ from the generated text under `root`; returns the ones it wrote.
fn generate(root: &Path) -> Result<Vec<&'static str>> {
    let expected = generated(root)?;
    let mut written = Vec::new();
    for copy in COPIES {
        let path = root.join(copy);
        if fs::read_to_string(&path).is_ok_and(|actual| actual == expected) {
            continue;
        }
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
        }
        fs::write(&path, &expected).map_err(|error| format!("cannot write {}: {error}", path.display()))?;
        written.push(copy);
    }
    Ok(written)
}

/// Fails naming every copy under `root` that is missing or differs from the generated text.
fn check(root: &Path) -> Result<()> {
    let expected = generated(root)?;
    let mut problems = Vec::new();
    for copy in COPIES {
        let path = root.join(copy);
        let actual = match fs::read_to_string(&path) {
            Ok(actual) => Some(actual),
            Err(error) if error.kind() == ErrorKind::NotFound => None,
            Err(error) => return Err(format!("cannot read {}: {error}", path.display()).into()),
        };
        if let Some(problem) = compare(copy, &expected, actual.as_deref()) {
            problems.push(problem);
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(format!("{}\nrun `cargo xtask templates generate` and commit", problems.join("\n")).into())
}

/// `None` when `actual` equals `expected`; otherwise what is wrong with `copy`, with the first differing line.
fn compare(copy: &str, expected: &str, actual: Option<&str>) -> Option<String> {
    let Some(actual) = actual else {
        return Some(format!("{copy} is missing (it is generated from {SOURCE})"));
    };
    if actual == expected {
        return None;
    }
    let mut expected_lines = expected.split_inclusive('\n');
    let mut actual_lines = actual.split_inclusive('\n');
    let mut line_number = 1;
    loop {
        match (expected_lines.next(), actual_lines.next()) {
            (Some(want), Some(have)) if want == have => line_number += 1,
            (want, have) => {
                let show =
                    |line: Option<&str>| line.map_or_else(|| "<end of file>".to_owned(), |line| format!("{line:?}"));
                return Some(format!(
                    "{copy} is stale: line {line_number} differs from the generated text\n  expected: {}\n  found:    {}",
                    show(want),
                    show(have)
                ));
            }
        }
    }
}
