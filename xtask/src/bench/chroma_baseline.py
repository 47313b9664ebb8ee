"""chromadb's persistent client on the corpus bench_embedded wrote: ingest, vector, keyword, filtered.

Usage: python chroma_baseline.py OUT_DIR [BATCH]; prints one JSON object on stdout. The workload is
bench_workload.py's, shared with the brainstore Python side.
"""
import json
import resource
import shutil
import sys

import chromadb

import bench_workload as workload


def main():
    out = sys.argv[1]
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    _, docs, vectors, queries, query_vectors = workload.load(out)

    path = f"{out}/chroma-data"
    shutil.rmtree(path, ignore_errors=True)
    client = chromadb.PersistentClient(path=path, settings=chromadb.Settings(anonymized_telemetry=False))
    collection = client.create_collection("bench", metadata={"hnsw:space": "cosine"})
    batch = min(batch, client.get_max_batch_size())
    rows_per_sec = workload.ingest(collection.add, docs, vectors, batch)

    collection.query(query_embeddings=query_vectors[:1], n_results=10)
    results = {name: workload.measure(queries, call, truth) for name, (call, truth) in
               workload.queries_of(collection, query_vectors).items()}
    print(json.dumps({
        "backend": "chromadb-" + chromadb.__version__,
        "batch": batch,
        "ingest_rows_per_sec": rows_per_sec,
        **results,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }))


if __name__ == "__main__":
    main()
