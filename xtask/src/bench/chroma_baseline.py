"""chromadb's persistent client on the corpus bench_embedded wrote: ingest, vector, keyword, filtered.

Usage: python chroma_baseline.py OUT_DIR [BATCH]; prints one JSON object on stdout.
"""
import json
import resource
import shutil
import sys
import time

import chromadb
import numpy as np


def percentiles(samples):
    samples = sorted(samples)
    pick = lambda p: samples[round((len(samples) - 1) * p)] * 1000.0
    return pick(0.5), pick(0.95)


def main():
    out = sys.argv[1]
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    params = json.load(open(f"{out}/params.json"))
    dims = params["dims"]
    docs = [json.loads(line) for line in open(f"{out}/corpus.jsonl")]
    vectors = np.fromfile(f"{out}/corpus.f32", dtype="<f4").reshape(len(docs), dims)
    queries = [json.loads(line) for line in open(f"{out}/queries.jsonl")]
    query_vectors = np.fromfile(f"{out}/queries.f32", dtype="<f4").reshape(len(queries), dims)

    path = f"{out}/chroma-data"
    shutil.rmtree(path, ignore_errors=True)
    client = chromadb.PersistentClient(path=path, settings=chromadb.Settings(anonymized_telemetry=False))
    collection = client.create_collection("bench", metadata={"hnsw:space": "cosine"})
    batch = min(batch, client.get_max_batch_size())
    started = time.perf_counter()
    for start in range(0, len(docs), batch):
        part = docs[start:start + batch]
        collection.add(
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
    print(json.dumps({
        "backend": "chromadb-" + chromadb.__version__,
        "batch": batch,
        "ingest_rows_per_sec": len(docs) / ingest_seconds,
        "vector": vector,
        "keyword": keyword,
        "filtered_vector": filtered,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }))


if __name__ == "__main__":
    main()
