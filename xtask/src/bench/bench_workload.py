"""The workload every Python side of the benches runs, so brainstore and chromadb are measured alike.

`load(out)` reads the corpus, queries and exact answers bench_embedded wrote; `ingest` upserts the rows in
batches with their vectors; `measure` times one query per call, with recall@10 against the exact answers.
`memory_workload` turns the first rows into agent memories of a few users and the queries into recalls of
one user's memories, for the memory recall part of `bench python`.
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


def chroma_ids(result):
    """The ids of a Chroma-shaped answer to one query."""
    return result["ids"][0]


def measure(queries, call, truth_key=None, ids_of=chroma_ids):
    """Times call(idx, query) once per query; ids_of(answer) gives the answer's ids, outside the timing."""
    samples, recall = [], []
    for idx, query in enumerate(queries):
        started = time.perf_counter()
        result = call(idx, query)
        samples.append(time.perf_counter() - started)
        if truth_key:
            got = set(ids_of(result))
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


# The memory recall workload: every memory belongs to tenant MEMORY_TENANT and one of MEMORY_USERS users.
MEMORY_TENANT = "bench"
MEMORY_USERS = 10


def user_of(category):
    """The user of a row or query: its category number (`catNN`, 100 of them) modulo MEMORY_USERS."""
    return f"user{int(category[3:]) % MEMORY_USERS:02}"


def memory_workload(docs, vectors, queries, query_vectors, cap):
    """The first `cap` rows as memories, their vectors, and one recall per query.

    A memory is a dict of its row's `id` and `text` and `metadata` {"tenant", "user"} (the user from the row's
    category). A recall is a dict of the `user` its query's category gives, the query's `word`, `exact`: the
    ids of that user's 10 memories most similar to the query vector (cosine, ties by id), what recall@10 counts,
    and `exact_tenant`: the same over every memory of the tenant, for a tenant-wide recall.
    """
    count = min(cap, len(docs))
    memories = []
    for d in docs[:count]:
        metadata = {"tenant": MEMORY_TENANT, "user": user_of(d["metadata"]["category"])}
        memories.append({"id": d["id"], "text": d["text"], "metadata": metadata})
    memory_vectors = vectors[:count]
    users = np.array([m["metadata"]["user"] for m in memories])
    ids = np.array([m["id"] for m in memories])
    norms = np.linalg.norm(memory_vectors, axis=1)
    def nearest(rows, vector):
        scores = (memory_vectors[rows] @ vector) / (norms[rows] * np.linalg.norm(vector))
        return ids[rows][np.lexsort((ids[rows], -scores))[:10]].tolist()

    everyone = np.arange(count)
    recalls = []
    for query, vector in zip(queries, query_vectors):
        user = user_of(query["category"])
        mine = np.flatnonzero(users == user)
        recalls.append(
            {"user": user, "word": query["word"], "exact": nearest(mine, vector), "exact_tenant": nearest(everyone, vector)}
        )
    return memories, memory_vectors, recalls
