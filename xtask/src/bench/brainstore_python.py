"""The brainstore Python package on the corpus bench_embedded wrote, the same workload as chroma_baseline.py.

Usage: python brainstore_python.py OUT_DIR BATCH CHROMA_JSON MEMORIES; prints brainstore's figures beside
chromadb's. Both run in process on the same machine: upserts of BATCH rows with their vectors, then one query at
a time; then the first MEMORIES rows as memories of a few users, and one recall of a user's memories at a time
(chroma_baseline.py's figures must have been taken with the same MEMORIES).
"""

import json
import resource
import shutil
import sys
import time

import brainstore
import bench_workload as workload
from brainstore import Scope

# A memory embedding needs its model's name (so a model change can be detected); the corpus vectors have none.
MEMORY_MODEL = "bench-corpus"


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


def recall_memories(out, cap):
    """The first `cap` rows remembered one call at a time in a fresh store (dedup off, so each is created), then
    recalls of one user's memories: by the query vector, and hybrid by the query's word and vector; then recalls of
    the whole tenant by the query vector."""
    dims, docs, vectors, queries, query_vectors = workload.load(out)
    memories, memory_vectors, recalls = workload.memory_workload(docs, vectors, queries, query_vectors, cap)
    path = f"{out}/brainstore-python-memories"
    shutil.rmtree(path, ignore_errors=True)
    store = brainstore.open(path)
    store.memories.set_space(dims, metric="cosine")
    scopes = {user: Scope(workload.MEMORY_TENANT, user=user) for user in {m["metadata"]["user"] for m in memories}}
    remember = store.memories.remember
    row_of = {}
    started = time.perf_counter()
    for memory, vector in zip(memories, memory_vectors):
        scope = scopes[memory["metadata"]["user"]]
        outcome = remember(
            memory["text"], scope=scope, embedding=vector, embedding_model=MEMORY_MODEL, dedup_threshold=None
        )
        row_of[outcome.memory.id] = memory["id"]
    per_sec = len(memories) / (time.perf_counter() - started)

    recall = store.memories.recall
    by_vector = lambda i, r: recall(scopes[r["user"]], embedding=query_vectors[i], limit=10)
    tenant = Scope(workload.MEMORY_TENANT)
    by_vector_tenant = lambda i, r: recall(tenant, embedding=query_vectors[i], limit=10)
    hybrid = lambda i, r: recall(scopes[r["user"]], text=r["word"], embedding=query_vectors[i], limit=10)
    ids_of = lambda hits: [row_of[hit.memory.id] for hit in hits]
    by_vector(0, recalls[0])
    by_vector_tenant(0, recalls[0])
    timed = {
        "vector": workload.measure(recalls, by_vector, "exact", ids_of),
        "hybrid": workload.measure(recalls, hybrid),
        "tenant_vector": workload.measure(recalls, by_vector_tenant, "exact_tenant", ids_of),
    }
    # Untimed, a check that the text of a hybrid recall counts: the share of the hits whose text has the
    # query's word, by vector alone and hybrid.
    for name, call in (("vector", by_vector), ("hybrid", hybrid)):
        answers = [(r["word"], call(i, r)) for i, r in enumerate(recalls)]
        hits = sum(len(found) for _, found in answers)
        with_word = sum(word in hit.memory.content.split() for word, found in answers for hit in found)
        timed[name]["hits_per_recall"] = hits / len(answers)
        timed[name]["hits_with_word"] = with_word / max(hits, 1)
    figures = {
        "rows": len(docs),
        "memories": len(memories),
        "users": len(scopes),
        "recalls": len(recalls),
        "load_per_sec": per_sec,
        **timed,
    }
    store.close()
    return figures


def query_rows(label, ours, theirs):
    """The p50, p95 and recall@10 rows of one query mode: (label, brainstore's figure, chromadb's, higher is better)."""
    return [
        (f"{label} p50 ms", ours["p50_ms"], theirs["p50_ms"], False),
        (f"{label} p95 ms", ours["p95_ms"], theirs["p95_ms"], False),
        (f"{label} recall@10", ours["recall_at_10"], theirs["recall_at_10"], True),
    ]


def main():
    out, batch, chroma_json, cap = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    ours = measure(out, batch)
    ours["memories"] = recall_memories(out, cap)
    theirs = json.load(open(chroma_json))
    rows = [
        ("ingest rows/s", ours["ingest_rows_per_sec"], theirs["ingest_rows_per_sec"], True),
        *query_rows("vector query", ours["vector"], theirs["vector"]),
        ("filtered query p50 ms", ours["filtered_vector"]["p50_ms"], theirs["filtered_vector"]["p50_ms"], False),
        ("filtered recall@10", ours["filtered_vector"]["recall_at_10"], theirs["filtered_vector"]["recall_at_10"], True),
        ("get where_document p50 ms", ours["keyword"]["p50_ms"], theirs["keyword"]["p50_ms"], False),
        ("peak RSS MB (whole process)", ours["peak_rss_mb"], theirs["peak_rss_mb"], False),
    ]
    mine, chroma = ours["memories"], theirs["memories"]
    memory_rows = [
        ("memory load memories/s", mine["load_per_sec"], chroma["load_per_sec"], True),
        *query_rows("user recall (vector)", mine["vector"], chroma["vector"]),
        *query_rows("tenant recall (vector)", mine["tenant_vector"], chroma["tenant_vector"]),
        ("hybrid recall p50 ms (brainstore only)", mine["hybrid"]["p50_ms"], None, False),
        ("hybrid recall p95 ms (brainstore only)", mine["hybrid"]["p95_ms"], None, False),
    ]
    width = max(len(label) for label, *_ in rows + memory_rows)
    print(f"{'metric':<{width}} {'brainstore (Python)':>20} {theirs['backend']:>18} {'ratio':>8}")
    for label, a, b, higher_is_better in rows:
        print_row(label, width, a, b, higher_is_better)
    capped = f" (the first of the {mine['rows']:,} rows: this part is capped at {cap:,})" if mine["rows"] > cap else ""
    print(
        f"memory recall: {mine['memories']:,} memories{capped} of {mine['users']} users of one tenant; "
        f"{mine['recalls']} recalls of one user's memories, then as many of the whole tenant, top 10"
    )
    for label, a, b, higher_is_better in memory_rows:
        print_row(label, width, a, b, higher_is_better)
    print("ratio: how many times better brainstore is (higher rows/s or recall, lower latency or memory)")
    print(
        f"memory load: brainstore remembers one memory per call (audited, dedup off); chromadb adds batches of "
        f"{chroma['batch']:,}"
    )
    print(
        "memory recall: brainstore's recall(scope, embedding=, limit=10), which also records the access of the"
        " memories it returns,\n  beside chromadb's query(n_results=10, where tenant and user); recall@10 against"
        " the user's exact top 10; hybrid adds the query's word as text=;\n  tenant recall: a scope of the tenant"
        " alone, beside chromadb's where tenant, against the tenant's exact top 10"
    )
    print(
        f"memory recall hits with the query's word: {mine['vector']['hits_with_word']:.0%} by vector, "
        f"{mine['hybrid']['hits_with_word']:.0%} hybrid ({mine['hybrid']['hits_per_recall']:.1f} hits a recall)"
    )
    print(json.dumps({"brainstore": ours, "chromadb": theirs}), file=sys.stderr)


def print_row(label, width, a, b, higher_is_better):
    """One line of the table; `b` is None for a figure chromadb has no equivalent of."""
    if b is None:
        print(f"{label:<{width}} {a:>20.2f} {'-':>18} {'-':>8}")
        return
    ratio = (a / b if higher_is_better else b / a) if a and b else float("nan")
    print(f"{label:<{width}} {a:>20.2f} {b:>18.2f} {ratio:>8.2f}")


if __name__ == "__main__":
    main()
