#!/usr/bin/env bash
# brainstore's main job in one command: fill an embedded store (one local folder, no server, no network)
# from examples/sample.jsonl and search it by keyword, by vector and by both (hybrid).
#
#   examples/quickstart.sh                 build (release) and run the demo in target/brainstore-demo
#   BRAINSTORE_DEMO_DIR=/tmp/x examples/quickstart.sh
#
# The sample is 349 paragraphs of Python's standard-library docs (PSF licence) with 384-dimension
# all-MiniLM-L6-v2 embeddings; the query embeddings are shipped too (examples/query-*.json), so nothing
# here needs Python or a model. examples/make_sample.py regenerates them.
set -euo pipefail
cd "$(dirname "$0")/.."

# Under target/ so the demo store is never committed (target/ is ignored) and `cargo clean` removes it.
data_dir="${BRAINSTORE_DEMO_DIR:-target/brainstore-demo}"
cargo build --release --quiet -p cli
brainstore=(target/release/brainstore --backend embedded --data-dir "$data_dir" --collection quickstart)

# Bold headings on a terminal only; piped into a file or a pager, raw escape codes would show.
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }

step "start from an empty collection in $data_dir"
"${brainstore[@]}" init --dimensions 384 --provider sentence-transformers --model all-MiniLM-L6-v2 >/dev/null
"${brainstore[@]}" reset --yes >/dev/null
"${brainstore[@]}" init --dimensions 384 --provider sentence-transformers --model all-MiniLM-L6-v2

step "ingest examples/sample.jsonl"
"${brainstore[@]}" ingest examples/sample.jsonl

step "keyword: copy directory"
"${brainstore[@]}" search --mode keyword "copy directory" --top-k 5

step "vector: \"how do I turn a Python object into a JSON string\" (examples/query-json.json)"
"${brainstore[@]}" search --mode vector --embedding @examples/query-json.json --top-k 5

step "hybrid: \"copy files\" + the embedding of \"copy a whole directory tree to another place\""
"${brainstore[@]}" search --mode hybrid "copy files" --embedding @examples/query-files.json --top-k 5

step "batch: every query of examples/queries.jsonl (JSON lines; timing on stderr)"
"${brainstore[@]}" search --queries examples/queries.jsonl --top-k 3 --json | cut -c1-110

step "status"
"${brainstore[@]}" status
