"""The workload every Python side of the benches runs, so brainstore and chromadb are measured alike.

`load(out)` reads the corpus, queries and exact answers bench_embedded wrote; `ingest` upserts the rows in
batches with their vectors; `measure` times one query per call, with recall@10 against the exact answers.
"""

import json
import time

import numpy as np


def load(out):
    params = json.load(open(f"{out}/params.json"))
    dims = params["dims"]
    docs = [json.loads(line) for line in open(f"{out}/corpus.jsonl")]
    vectors = np.fromfile(f"{out}/corpus.f32", dtype="<f4").reshape(len(docs), dims)
    queries = [json.loads(line) for line in open(f"{out}/queries.jsonl")]
    query_vectors = np.fromfile(f"{out}/queries.f32", dtype="<f4").reshape(len(queries), dims)
    return dims, docs, vectors, queries, query_vectors


def ingest(write, docs, vectors, batch):
    """Calls write(ids=, documents=, metadatas=, embeddings=) per batch; returns rows per second."""
    started = time.perf_counter()
    for start in range(0, len(docs), batch):
        part = docs[start:start + batch]
        write(
            ids=[d["id"] for d in part],
            documents=[d["text"] for d in part],
            metadatas=[d["metadata"] for d in part],
            embeddings=vectors[start:start + batch],
        )
    return len(docs) / (time.perf_counter() - started)


def percentiles(samples):
    samples = sorted(samples)
    pick = lambda p: samples[round((len(samples) - 1) * p)] * 1000.0
    return pick(0.5), pick(0.95)


def measure(queries, call, truth_key=None):
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


def queries_of(collection, query_vectors):
    """The three measured query kinds, the same calls on both APIs (Chroma's argument names)."""
    return {
        "vector": (lambda i, q: collection.query(query_embeddings=query_vectors[i:i + 1], n_results=10), "exact"),
        "keyword": (lambda i, q: collection.get(where_document={"$contains": q["word"]}, limit=10), None),
        "filtered_vector": (
            lambda i, q: collection.query(
                query_embeddings=query_vectors[i:i + 1], n_results=10, where={"category": q["category"]}
            ),
            "exact_filtered",
        ),
    }
