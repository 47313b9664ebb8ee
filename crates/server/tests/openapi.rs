//! The HTTP API is a contract: the OpenAPI document the server serves must equal the committed
//! `docs/openapi.json`, so a change to a route or a shape shows in review and CI fails until it is committed.

use std::path::PathBuf;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

/// The document exactly as `GET /openapi.json` serves it, pretty-printed with a final newline.
fn served() -> String {
    let document = serde_json::to_value(server::openapi()).expect("the OpenAPI document serializes");
    let mut text = serde_json::to_string_pretty(&document).expect("a JSON value prints");
    text.push('\n');
    text
}

#[test]
fn the_served_openapi_document_equals_the_committed_docs_openapi_json() {
    let served = served();
    let path = committed_path();
    // `cargo xtask openapi` sets this to write the file; the comparison below then holds by construction.
    if std::env::var_os("BRAINSTORE_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &served).expect("docs/openapi.json is writable");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != served {
        let first_difference = committed
            .lines()
            .zip(served.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(served.lines().count()));
        panic!(
            "docs/openapi.json differs from the document the server serves (first at line {}); regenerate it with \
             `cargo xtask openapi`, review the diff (a changed route or shape is an API change: say so in \
             docs/http-api.md) and commit it",
            first_difference + 1
        );
    }
}
