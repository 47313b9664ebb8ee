"""brainstore: storage for AI agents, in-process.

Knowledge chunks in collections, searched by vector, keyword (BM25) or both (hybrid), plus agent memory,
sessions and a task queue, on the embedded store (one folder, no server) or on PostgreSQL with pgvector::

    import brainstore

    store = brainstore.open(".brainstore")           # or brainstore.connect("postgres://...")
    docs = store.get_or_create_collection("docs", dimensions=384)
    ids = docs.upsert(documents=["..."], embeddings=[[...]])
    hits = docs.query(query_texts=["..."], query_embeddings=[[...]], n_results=5)

``brainstore.aio`` has the same API as coroutines. ``brainstore.langchain`` and ``brainstore.llama_index``
hold vector stores for those frameworks.
"""

from brainstore._native import generate_id
from brainstore._sync import Collection, Memories, Sessions, Store, Tasks, connect, open
from brainstore.errors import BrainstoreError, Conflict, IncompatibleState, InvalidInput, NotFound, Unavailable
from brainstore.types import (
    Agent,
    AppendOutcome,
    Artifact,
    CollectionInfo,
    EmbeddingProvider,
    EnqueueOutcome,
    GetResult,
    KeywordMatch,
    Memory,
    Message,
    MessageHit,
    QueryResult,
    RecallHit,
    RememberOutcome,
    Scope,
    Session,
    Task,
)

__all__ = [
    "Agent",
    "AppendOutcome",
    "Artifact",
    "BrainstoreError",
    "Collection",
    "CollectionInfo",
    "Conflict",
    "EmbeddingProvider",
    "EnqueueOutcome",
    "GetResult",
    "IncompatibleState",
    "InvalidInput",
    "KeywordMatch",
    "Memories",
    "Memory",
    "Message",
    "MessageHit",
    "NotFound",
    "QueryResult",
    "RecallHit",
    "RememberOutcome",
    "Scope",
    "Session",
    "Sessions",
    "Store",
    "Task",
    "Tasks",
    "Unavailable",
    "connect",
    "generate_id",
    "open",
]
