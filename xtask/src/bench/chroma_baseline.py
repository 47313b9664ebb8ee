"""chromadb's persistent client on the corpus bench_embedded wrote: ingest, vector, keyword, filtered.

Usage: python chroma_baseline.py OUT_DIR [BATCH [MEMORIES]]; prints one JSON object on stdout. The workload is
bench_workload.py's, shared with the brainstore Python side. With MEMORIES, also the memory recall workload on
the first MEMORIES rows: what an agent project does with chromadb in place of brainstore's memory recall.
"""
import json
import resource
import shutil
import sys

import chromadb

import bench_workload as workload


def fresh_collection(path, name, batch):
    """A new collection in a new persistent client at `path`, and the largest batch up to `batch` it takes."""
    shutil.rmtree(path, ignore_errors=True)
    client = chromadb.PersistentClient(path=path, settings=chromadb.Settings(anonymized_telemetry=False))
    collection = client.create_collection(name, metadata={"hnsw:space": "cosine"})
    return collection, min(batch, client.get_max_batch_size())


def recall_memories(out, docs, vectors, queries, query_vectors, batch, cap):
    """Memories as a collection with {"tenant", "user"} metadata, added in batches; a recall is a query of the
    query vector restricted to the tenant and the user, or to the tenant alone."""
    memories, memory_vectors, recalls = workload.memory_workload(docs, vectors, queries, query_vectors, cap)
    collection, batch = fresh_collection(f"{out}/chroma-memories", "memories", batch)
    per_sec = workload.ingest(collection.add, memories, memory_vectors, batch)

    def recall(i, r):
        scope = {"$and": [{"tenant": workload.MEMORY_TENANT}, {"user": r["user"]}]}
        return collection.query(query_embeddings=query_vectors[i:i + 1], n_results=10, where=scope)

    def recall_tenant(i, r):
        tenant = {"tenant": workload.MEMORY_TENANT}
        return collection.query(query_embeddings=query_vectors[i:i + 1], n_results=10, where=tenant)

    recall(0, recalls[0])
    recall_tenant(0, recalls[0])
    return {
        "memories": len(memories),
        "batch": batch,
        "load_per_sec": per_sec,
        "vector": workload.measure(recalls, recall, "exact"),
        "tenant_vector": workload.measure(recalls, recall_tenant, "exact_tenant"),
    }


def main():
    out = sys.argv[1]
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    memories = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    _, docs, vectors, queries, query_vectors = workload.load(out)

    collection, batch = fresh_collection(f"{out}/chroma-data", "bench", batch)
    rows_per_sec = workload.ingest(collection.add, docs, vectors, batch)

    collection.query(query_embeddings=query_vectors[:1], n_results=10)
    results = {name: workload.measure(queries, call, truth) for name, (call, truth) in
               workload.queries_of(collection, query_vectors).items()}
    # Taken before the memory part, so the figure is the same workload's with or without it.
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    figures = {
        "backend": "chromadb-" + chromadb.__version__,
        "batch": batch,
        "ingest_rows_per_sec": rows_per_sec,
        **results,
        "peak_rss_mb": peak_rss_mb,
    }
    if memories:
        figures["memories"] = recall_memories(out, docs, vectors, queries, query_vectors, batch, memories)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
