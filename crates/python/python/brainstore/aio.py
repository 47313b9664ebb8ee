"""``brainstore.aio``: the same API as ``brainstore``, as coroutines for asyncio agents.

``await brainstore.aio.open(path)`` and ``await brainstore.aio.connect(url)`` give an ``AsyncStore`` whose
collections, memories, sessions and tasks have the blocking API's methods and signatures, each a coroutine.
Store calls run on brainstore's own Rust runtime, never on the event loop's thread, and several queries of
one ``query`` call run concurrently. Cancelling an awaiting task drops its call; a batch is one transaction,
so a cancelled upsert writes nothing.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

from brainstore import _native
from brainstore._calls import (
    DEFAULT_GET_INCLUDE,
    DEFAULT_QUERY_INCLUDE,
    Call,
    CollectionCalls,
    MemoryCalls,
    SessionCalls,
    StoreCalls,
    T,
    TaskCalls,
    arguments,
)
from brainstore.types import (
    Agent,
    AppendOutcome,
    Artifact,
    CollectionInfo,
    Embedding,
    EmbeddingProvider,
    EnqueueOutcome,
    GetResult,
    IncludePart,
    KeywordMatch,
    Memory,
    Message,
    MessageHit,
    Metadata,
    QueryResult,
    RecallHit,
    RememberOutcome,
    Scope,
    SearchMode,
    Session,
    Task,
    Where,
    WhereDocument,
)


class _Runner:
    async def _arun(self, call: Call[T]) -> T:
        return await call.run_async()


class AsyncCollection(CollectionCalls, _Runner):
    """A named collection of chunks (id, document text, metadata, optional embedding)."""

    async def info(self) -> CollectionInfo:
        """The collection's name, embedding space and chunk count."""
        return await self._arun(self._info())

    async def upsert(
        self,
        ids: Sequence[str] | None = None,
        documents: Sequence[str] | None = None,
        metadatas: Sequence[Metadata | None] | None = None,
        embeddings: Any = None,
    ) -> builtins.list[str]:
        """Writes one batch atomically (every chunk or none) and returns its ids.

        Columns are parallel lists. Without ``ids`` each chunk gets a new UUIDv7, returned in order. A chunk
        with an existing id replaces it; a repeated id keeps its last occurrence. ``embeddings`` must match
        the collection's dimensions (numpy arrays are accepted). At most 10,000 chunks per call.
        """
        return await self._arun(self._upsert(ids, documents, metadatas, embeddings))

    async def query(
        self,
        query_texts: Sequence[str] | None = None,
        query_embeddings: Any = None,
        n_results: int = 10,
        where: Where | None = None,
        where_document: WhereDocument | None = None,
        include: Sequence[IncludePart] = DEFAULT_QUERY_INCLUDE,
        mode: SearchMode | None = None,
        min_score: float | None = None,
        fusion: dict[str, Any] | None = None,
        match: KeywordMatch | None = None,
    ) -> QueryResult:
        """Runs one query per text and/or embedding; each inner list is best hit first.

        ``mode`` defaults to what the inputs allow: ``hybrid`` with texts and embeddings, ``vector`` with
        embeddings only, ``keyword`` with texts only (``hybrid`` when the collection has an embedding
        provider, which embeds the texts). ``match`` says how the keyword leg's words combine: ``"any"``
        (the default) or ``"all"``. Filters apply before ranking in every leg, so a filtered query returns
        ``n_results`` hits whenever that many match. Add ``"embeddings"`` to ``include`` to get the hits'
        vectors (for max-marginal-relevance).
        """
        return await self._arun(self._query(**arguments(locals())))

    async def get(
        self,
        ids: Sequence[str] | str | None = None,
        where: Where | None = None,
        limit: int | None = None,
        offset: int = 0,
        where_document: WhereDocument | None = None,
        include: Sequence[IncludePart] = DEFAULT_GET_INCLUDE,
    ) -> GetResult:
        """Reads chunks by ids and/or filters in one call; vectors only when ``include`` names them.

        With ``ids``, results follow the order of ``ids`` (each once; missing ids are simply absent);
        without, bytewise id order. ``offset`` and ``limit`` (at most 10,000) apply to that order.
        """
        return await self._arun(self._get(ids, where, where_document, limit, offset, include))

    async def delete(self, ids: Sequence[str] | str | None = None, where: Where | None = None) -> int:
        """Deletes chunks by ids or by a non-empty filter; returns how many existed.

        The empty filter is refused (:meth:`delete_all` empties a collection on purpose).
        """
        return await self._arun(self._delete(ids, where))

    async def embed(self, texts: Sequence[str]) -> builtins.list[Embedding]:
        """The vectors the collection's embedding provider gives ``texts``, as ``upsert`` would store them; a
        collection without a provider raises ``IncompatibleState`` (``kind="not_initialized"``)."""
        return await self._arun(self._embed(texts))

    async def delete_all(self) -> int:
        """Deletes every chunk and keeps the collection and its embedding space; returns how many."""
        return await self._arun(self._delete_all())

    async def count(self, where: Where | None = None) -> int:
        """How many chunks match ``where`` (all of them without)."""
        return await self._arun(self._count(where))


class AsyncMemories(MemoryCalls, _Runner):
    """Agent memory: scoped memories with keyword and semantic recall, dedup on write, supersede chains."""

    async def remember(
        self,
        content: str,
        *,
        scope: Scope | str,
        key: str | None = None,
        kind: str | None = None,
        subject: str | None = None,
        tags: Sequence[str] | None = None,
        importance: int | None = None,
        confidence: float | None = None,
        pinned: bool | None = None,
        source: str | None = None,
        tier: str | None = None,
        metadata: Metadata | None = None,
        embedding: Sequence[float] | None = None,
        embedding_model: str | None = None,
        expires_at: datetime | None = None,
        dedup_threshold: float | None = 0.92,
        actor: str | None = None,
        reason: str | None = None,
    ) -> RememberOutcome:
        """Stores a memory. An existing ``key`` in the scope is updated in place; with an embedding, an active
        memory of the same scope and kind at least ``dedup_threshold`` similar is updated instead of
        duplicated (``None`` turns dedup off). ``scope`` is a :class:`Scope` or a tenant name; an ``embedding``
        given by the caller needs the ``embedding_model`` that made it."""
        return await self._arun(self._remember(**arguments(locals())))

    async def recall(
        self,
        scope: Scope | str,
        text: str | None = None,
        *,
        embedding: Sequence[float] | None = None,
        kinds: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        statuses: Sequence[str] | None = None,
        tiers: Sequence[str] | None = None,
        where: Where | None = None,
        limit: int = 10,
        weights: dict[str, float] | None = None,
    ) -> builtins.list[RecallHit]:
        """The memories of ``scope`` best matching ``text`` and/or ``embedding``, ranked by semantic and
        keyword relevance, recency, importance and pinning (active memories only, by default)."""
        return await self._arun(self._recall(**arguments(locals())))

    async def get(self, tenant: str, memory_id: str) -> Memory | None:
        """One memory by id, or ``None`` (an id of another tenant looks missing)."""
        return await self._arun(self._get(tenant, memory_id))

    async def list(
        self,
        scope: Scope | str,
        *,
        kinds: Sequence[str] | None = None,
        statuses: Sequence[str] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> builtins.list[Memory]:
        """Memories of ``scope``, newest first."""
        return await self._arun(self._list(**arguments(locals())))

    async def supersede(
        self,
        tenant: str,
        old_id: str,
        content: str,
        *,
        scope: Scope | str | None = None,
        kind: str | None = None,
        tags: Sequence[str] | None = None,
        metadata: Metadata | None = None,
        embedding: Sequence[float] | None = None,
        actor: str | None = None,
        reason: str | None = None,
    ) -> tuple[Memory, Memory]:
        """Replaces a memory with a new one; returns (old, new). The old one becomes ``superseded``."""
        return await self._arun(self._supersede(**arguments(locals())))

    async def forget(self, tenant: str, memory_id: str, *, actor: str | None = None, reason: str | None = None) -> bool:
        """Deletes a memory (its audit history stays); returns whether it existed."""
        return await self._arun(self._forget(**arguments(locals())))

    async def history(self, tenant: str, memory_id: str) -> builtins.list[dict[str, Any]]:
        """The memory's audit log, oldest first (each entry's ``old`` and ``new`` states)."""
        return await self._arun(self._history(tenant, memory_id))

    async def set_space(
        self,
        dimensions: int | None = None,
        *,
        metric: str | None = None,
        provider: str | None = None,
        model: str | None = None,
        embedding: EmbeddingProvider | None = None,
    ) -> None:
        """Records the memory embedding space: every memory embedding must then have ``dimensions`` values.
        ``embedding`` records a provider's space instead, as in :meth:`brainstore.Memories.set_space`."""
        return await self._arun(self._set_space(**arguments(locals())))


class AsyncSessions(SessionCalls, _Runner):
    """Conversations with their messages and artifacts, and the registry of agents."""

    async def create(
        self,
        tenant: str,
        *,
        id: str | None = None,
        title: str | None = None,
        participants: Sequence[str] | None = None,
        metadata: Metadata | None = None,
    ) -> Session:
        """Creates a session (idempotent by ``id``; one is generated without)."""
        return await self._arun(self._create(**arguments(locals())))

    async def get(self, tenant: str, session_id: str) -> Session | None:
        """One session, or ``None``."""
        return await self._arun(self._get(tenant, session_id))

    async def list(
        self, tenant: str, *, statuses: Sequence[str] | None = None, limit: int = 100, offset: int = 0
    ) -> builtins.list[Session]:
        """Sessions, most recent activity first."""
        return await self._arun(self._list(**arguments(locals())))

    async def set_status(self, tenant: str, session_id: str, status: str) -> Session:
        """Sets the status (``active``, ``completed``, ...)."""
        return await self._arun(self._set_status(tenant, session_id, status))

    async def append(
        self,
        tenant: str,
        session_id: str,
        role: str,
        content: str,
        *,
        id: str | None = None,
        format: str | None = None,
        metadata: Metadata | None = None,
    ) -> AppendOutcome:
        """Appends a message (idempotent by ``id``: the same id again returns the stored message)."""
        return await self._arun(self._append(**arguments(locals())))

    async def messages(
        self, tenant: str, session_id: str, *, after_seq: int | None = None, limit: int = 100
    ) -> builtins.list[Message]:
        """A session's messages in append order, after ``after_seq``."""
        return await self._arun(self._messages(**arguments(locals())))

    async def search(
        self, tenant: str, query: str, *, session_id: str | None = None, limit: int = 10
    ) -> builtins.list[MessageHit]:
        """Full-text search over the messages of one session, or of every session of the tenant."""
        return await self._arun(self._search(**arguments(locals())))

    async def put_artifact(
        self,
        tenant: str,
        session_id: str,
        name: str,
        content: str,
        *,
        kind: str,
        id: str | None = None,
        task_id: str | None = None,
        format: str | None = None,
        metadata: Metadata | None = None,
    ) -> Artifact:
        """Stores an artifact of a session, replacing one with the same id."""
        return await self._arun(self._put_artifact(**arguments(locals())))

    async def artifacts(self, tenant: str, session_id: str) -> builtins.list[Artifact]:
        """A session's artifacts, newest first."""
        return await self._arun(self._artifacts(tenant, session_id))

    async def register_agent(
        self,
        tenant: str,
        name: str,
        *,
        kind: str,
        capabilities: Sequence[str] | None = None,
        metadata: Metadata | None = None,
    ) -> Agent:
        """Registers or updates an agent."""
        return await self._arun(self._register_agent(**arguments(locals())))

    async def agent_heartbeat(self, tenant: str, name: str, status: str = "available") -> Agent:
        """Records that an agent is alive, with its status."""
        return await self._arun(self._agent_heartbeat(tenant, name, status))


class AsyncTasks(TaskCalls, _Runner):
    """A task queue shared by agents: claims are leases, and no two claimers ever get the same task."""

    async def enqueue(
        self,
        tenant: str,
        kind: str,
        payload: Any = None,
        *,
        priority: int | None = None,
        session_id: str | None = None,
        target_agent: str | None = None,
        dedup_key: str | None = None,
        not_before: datetime | None = None,
        max_attempts: int | None = None,
        retry_backoff_ms: int | None = None,
    ) -> EnqueueOutcome:
        """Adds a task; with ``dedup_key``, an existing task with that key is returned instead."""
        return await self._arun(self._enqueue(**arguments(locals())))

    async def claim(
        self, tenant: str, agent: str, *, kinds: Sequence[str] | None = None, lease_ms: int = 60_000
    ) -> Task | None:
        """Takes the highest-priority, oldest eligible task with a lease, or returns ``None``."""
        return await self._arun(self._claim(**arguments(locals())))

    async def complete(self, task: Task, result: Any = None) -> Task:
        """Completes a claimed task; a lease lost to another worker raises ``Conflict``."""
        return await self._arun(self._complete(task, result))

    async def fail(self, task: Task, error: str) -> Task:
        """Fails a claimed task: it is retried with backoff, or dead-lettered after its last attempt."""
        return await self._arun(self._fail(task, error))

    async def heartbeat(self, task: Task, lease_ms: int = 60_000) -> Task:
        """Extends the lease of a claimed task."""
        return await self._arun(self._heartbeat(task, lease_ms))

    async def cancel(self, tenant: str, task_id: str) -> Task:
        """Cancels a pending or running task."""
        return await self._arun(self._cancel(tenant, task_id))

    async def get(self, tenant: str, task_id: str) -> Task | None:
        """One task, or ``None``."""
        return await self._arun(self._get(tenant, task_id))

    async def list(
        self,
        tenant: str,
        *,
        statuses: Sequence[str] | None = None,
        kinds: Sequence[str] | None = None,
        session_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> builtins.list[Task]:
        """Tasks, newest first."""
        return await self._arun(self._list(**arguments(locals())))

    async def stats(self, tenant: str) -> dict[str, int]:
        """How many tasks are in each status."""
        return await self._arun(self._stats(tenant))


class AsyncStore(StoreCalls, _Runner):
    """An open store: collections of chunks, plus ``memories``, ``sessions`` and ``tasks``.

    Open one with :func:`brainstore.open` (embedded, a folder) or :func:`brainstore.connect` (PostgreSQL).
    One store serves every thread; close it (or use it as a context manager) when done.
    """

    def __init__(self, native: _native.NativeStore) -> None:
        super().__init__(native)
        self.memories = AsyncMemories(native.memories())
        self.sessions = AsyncSessions(native.sessions())
        self.tasks = AsyncTasks(native.tasks())

    async def create_collection(
        self,
        name: str,
        *,
        dimensions: int | None = None,
        metric: str | None = None,
        provider: str | None = None,
        model: str | None = None,
        embedding: EmbeddingProvider | None = None,
    ) -> AsyncCollection:
        """Creates a collection; an existing one raises ``Conflict``. ``dimensions`` records the embedding
        space (``metric``: ``cosine``, ``l2`` or ``inner_product``); without it the collection holds text only
        until a space is recorded.

        ``embedding`` gives the collection an embedding provider instead: ``"local"`` (all-MiniLM-L6-v2
        in-process; a cargo feature on by default) or a dict such as ``{"provider":
        "openai", "base_url": ..., "model": ..., "api_key_env": "OPENAI_API_KEY"}``. Its model and dimensions
        are recorded; ``upsert`` then embeds documents sent without embeddings and ``query`` embeds
        ``query_texts`` (text alone then searches hybrid, unless ``mode`` says otherwise)."""
        await self._arun(self._create(name, dimensions, metric, provider, model, embedding, False))
        return AsyncCollection(self._documents, name)

    async def get_or_create_collection(
        self,
        name: str,
        *,
        dimensions: int | None = None,
        metric: str | None = None,
        provider: str | None = None,
        model: str | None = None,
        embedding: EmbeddingProvider | None = None,
    ) -> AsyncCollection:
        """The collection, created if missing; a different recorded embedding space raises
        ``IncompatibleState``. ``embedding`` attaches a provider as in :meth:`create_collection` (for this
        process: pass it again after reopening the store, unless the recorded provider's defaults reach it)."""
        await self._arun(self._create(name, dimensions, metric, provider, model, embedding, True))
        return AsyncCollection(self._documents, name)

    async def get_collection(self, name: str) -> AsyncCollection:
        """An existing collection; a missing one raises ``NotFound``."""
        collection = AsyncCollection(self._documents, name)
        await collection.info()
        return collection

    async def list_collections(self) -> builtins.list[CollectionInfo]:
        """Every collection with its embedding space and count."""
        return await self._arun(self._list())

    async def delete_collection(self, name: str) -> bool:
        """Drops a collection and its chunks; returns whether it existed."""
        return await self._arun(self._drop(name))

    async def close(self) -> None:
        """Releases connections and files; the store is unusable afterwards."""
        return await self._arun(self._close())

    async def __aenter__(self) -> AsyncStore:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.close()


async def open(path: str = ".brainstore", *, embedding: EmbeddingProvider | None = None) -> AsyncStore:
    """Opens the embedded store in the folder ``path``, creating it if missing. No server is involved."""
    return AsyncStore(await _native.open_embedded(path, embedding=embedding, aio=True))


async def connect(
    database_url: str,
    *,
    schema: str | None = None,
    pool_size: int | None = None,
    embedding: EmbeddingProvider | None = None,
) -> AsyncStore:
    """Connects to PostgreSQL with pgvector (``postgres://user:pass@host:port/db``) and creates or migrates
    brainstore's tables in ``schema`` (``public`` by default)."""
    return AsyncStore(
        await _native.connect_postgres(database_url, schema=schema, pool_size=pool_size, embedding=embedding, aio=True)
    )


__all__ = ["AsyncCollection", "AsyncMemories", "AsyncSessions", "AsyncStore", "AsyncTasks", "connect", "open"]
