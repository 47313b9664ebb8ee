"""The brainstore Python package on the corpus bench_embedded wrote, the same workload as chroma_baseline.py.

Usage: python brainstore_python.py OUT_DIR BATCH CHROMA_JSON; prints brainstore's figures beside chromadb's.
Both run in process on the same machine: upserts of BATCH rows with their vectors, then one query at a time.
"""

import json
import resource
import shutil
import sys
import time

import numpy as np

import brainstore


def percentiles(samples):
    samples = sorted(samples)
    pick = lambda p: samples[round((len(samples) - 1) * p)] * 1000.0
    return pick(0.5), pick(0.95)


def measure(out, batch):
    params = json.load(open(f"{out}/params.json"))
    dims = params["dims"]
    docs = [json.loads(line) for line in open(f"{out}/corpus.jsonl")]
    vectors = np.fromfile(f"{out}/corpus.f32", dtype="<f4").reshape(len(docs), dims)
    queries = [json.loads(line) for line in open(f"{out}/queries.jsonl")]
    query_vectors = np.fromfile(f"{out}/queries.f32", dtype="<f4").reshape(len(queries), dims)

    path = f"{out}/brainstore-python-data"
    shutil.rmtree(path, ignore_errors=True)
    store = brainstore.open(path)
    collection = store.create_collection("bench", dimensions=dims, metric="cosine")
    started = time.perf_counter()
    for start in range(0, len(docs), batch):
        part = docs[start:start + batch]
        collection.upsert(
            ids=[d["id"] for d in part],
            documents=[d["text"] for d in part],
            metadatas=[d["metadata"] for d in part],
            embeddings=vectors[start:start + batch],
        )
    ingest_seconds = time.perf_counter() - started

    collection.query(query_embeddings=query_vectors[:1], n_results=10)

    def run(call, truth_key=None):
        samples, recall = [], []
        for idx, query in enumerate(queries):
            started = time.perf_counter()
            result = call(idx, query)
            samples.append(time.perf_counter() - started)
            if truth_key:
                got = set(result["ids"][0])
                exact = query[truth_key]
                recall.append(len(got & set(exact)) / max(len(exact), 1))
        p50, p95 = percentiles(samples)
        return {"p50_ms": p50, "p95_ms": p95, "recall_at_10": (sum(recall) / len(recall)) if recall else None}

    vector = run(lambda i, q: collection.query(query_embeddings=query_vectors[i:i + 1], n_results=10), "exact")
    keyword = run(lambda i, q: collection.get(where_document={"$contains": q["word"]}, limit=10))
    filtered = run(
        lambda i, q: collection.query(
            query_embeddings=query_vectors[i:i + 1], n_results=10, where={"category": q["category"]}
        ),
        "exact_filtered",
    )
    store.close()
    return {
        "backend": "brainstore (Python)",
        "ingest_rows_per_sec": len(docs) / ingest_seconds,
        "vector": vector,
        "keyword": keyword,
        "filtered_vector": filtered,
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
