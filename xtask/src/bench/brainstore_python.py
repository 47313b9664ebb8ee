"""The brainstore Python package on the corpus bench_embedded wrote, the same workload as chroma_baseline.py.

Usage: python brainstore_python.py OUT_DIR BATCH CHROMA_JSON; prints brainstore's figures beside chromadb's.
Both run in process on the same machine: upserts of BATCH rows with their vectors, then one query at a time.
"""

import json
import resource
import shutil
import sys

import brainstore
import bench_workload as workload


def measure(out, batch):
    dims, docs, vectors, queries, query_vectors = workload.load(out)
    path = f"{out}/brainstore-python-data"
    shutil.rmtree(path, ignore_errors=True)
    store = brainstore.open(path)
    collection = store.create_collection("bench", dimensions=dims, metric="cosine")
    rows_per_sec = workload.ingest(collection.upsert, docs, vectors, batch)

    collection.query(query_embeddings=query_vectors[:1], n_results=10)
    results = {name: workload.measure(queries, call, truth) for name, (call, truth) in
               workload.queries_of(collection, query_vectors).items()}
    store.close()
    return {
        "backend": "brainstore (Python)",
        "ingest_rows_per_sec": rows_per_sec,
        **results,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def main():
    out, batch, chroma_json = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    ours = measure(out, batch)
    theirs = json.load(open(chroma_json))
    rows = [
        ("ingest rows/s", ours["ingest_rows_per_sec"], theirs["ingest_rows_per_sec"], True),
        ("vector query p50 ms", ours["vector"]["p50_ms"], theirs["vector"]["p50_ms"], False),
        ("vector query p95 ms", ours["vector"]["p95_ms"], theirs["vector"]["p95_ms"], False),
        ("vector recall@10", ours["vector"]["recall_at_10"], theirs["vector"]["recall_at_10"], True),
        ("filtered query p50 ms", ours["filtered_vector"]["p50_ms"], theirs["filtered_vector"]["p50_ms"], False),
        ("filtered recall@10", ours["filtered_vector"]["recall_at_10"], theirs["filtered_vector"]["recall_at_10"], True),
        ("get where_document p50 ms", ours["keyword"]["p50_ms"], theirs["keyword"]["p50_ms"], False),
        ("peak RSS MB (whole process)", ours["peak_rss_mb"], theirs["peak_rss_mb"], False),
    ]
    print(f"{'metric':<30} {'brainstore (Python)':>20} {theirs['backend']:>18} {'ratio':>8}")
    for label, a, b, higher_is_better in rows:
        ratio = (a / b if higher_is_better else b / a) if a and b else float("nan")
        print(f"{label:<30} {a:>20.2f} {b:>18.2f} {ratio:>8.2f}")
    print("ratio: how many times better brainstore is (higher rows/s or recall, lower latency or memory)")
    print(json.dumps({"brainstore": ours, "chromadb": theirs}), file=sys.stderr)


if __name__ == "__main__":
    main()
