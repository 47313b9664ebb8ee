"""How each public method calls the native module and shapes its answer, written once for both APIs.

``brainstore`` (blocking) and ``brainstore.aio`` (awaitable) differ only in how they run a :class:`Call`:
the first calls the native functions directly (they release the GIL), the second passes ``aio=True``, gets
asyncio awaitables and awaits them together. Every argument check and every result conversion is here.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from brainstore import _native
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
    from_record,
    to_record,
)

T = TypeVar("T")

DEFAULT_QUERY_INCLUDE: tuple[IncludePart, ...] = ("documents", "metadatas", "distances", "scores")
DEFAULT_GET_INCLUDE: tuple[IncludePart, ...] = ("documents", "metadatas")


@dataclasses.dataclass(frozen=True)
class Step:
    """One native call: the function and its arguments (without ``aio``)."""

    function: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Call(Generic[T]):
    """Native calls whose answers ``finish`` turns into the public result."""

    steps: list[Step]
    finish: Callable[[list[Any]], T]

    def run(self) -> T:
        return self.finish([step.function(*step.args, **step.kwargs) for step in self.steps])

    async def run_async(self) -> T:
        awaitables = [step.function(*step.args, **step.kwargs, aio=True) for step in self.steps]
        return self.finish(list(await asyncio.gather(*awaitables)))


def single(function: Callable[..., Any], *args: Any, finish: Callable[[Any], T], **kwargs: Any) -> Call[T]:
    """A call of one native function."""
    return Call([Step(function, args, kwargs)], lambda answers: finish(answers[0]))


def same(value: T) -> T:
    return value


def vectors(embeddings: Any) -> list[Embedding | None] | None:
    """Embeddings as lists of floats: numpy arrays (anything with ``tolist``) and sequences alike."""
    if embeddings is None:
        return None
    if hasattr(embeddings, "tolist"):
        embeddings = embeddings.tolist()
    return [None if item is None else (item.tolist() if hasattr(item, "tolist") else list(item)) for item in embeddings]


def plain(value: Any) -> Any:
    """An argument in the form the native module takes: sequences (numpy arrays too) as lists, datetimes as
    ISO 8601 text, dataclasses (such as :class:`Scope`) as dicts; strings, dicts and scalars as given."""
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return to_record(value)


def optional(**values: Any) -> dict[str, Any]:
    """The keyword arguments that are not ``None`` (so the Rust defaults apply to the others), made plain."""
    return {key: plain(value) for key, value in values.items() if value is not None}


def options(**values: Any) -> dict[str, Any]:
    """Every keyword argument, made plain (``None`` passes through: it means "no limit" or "off")."""
    return {key: plain(value) for key, value in values.items()}


def arguments(values: dict[str, Any]) -> dict[str, Any]:
    """A public method's arguments, from its ``locals()`` taken on entry, without ``self``.

    The blocking and the awaitable method pass them unchanged to the call builder here, so the two APIs
    differ only in how they run the call, and each argument is shaped in one place.
    """
    return {key: value for key, value in values.items() if key != "self"}


def scope_record(scope: Scope | str) -> dict[str, Any]:
    return {"tenant": scope} if isinstance(scope, str) else to_record(scope)


# Collections ------------------------------------------------------------------------------------------


class CollectionCalls:
    """The calls of one collection; ``Collection`` and ``AsyncCollection`` run them."""

    def __init__(self, documents: _native.NativeDocuments, name: str) -> None:
        self._documents = documents
        self.name = name

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"

    def _upsert(
        self,
        ids: Sequence[str] | None,
        documents: Sequence[str] | None,
        metadatas: Sequence[Metadata | None] | None,
        embeddings: Any,
    ) -> Call[list[str]]:
        return single(
            self._documents.upsert,
            self.name,
            ids=None if ids is None else list(ids),
            documents=None if documents is None else list(documents),
            metadatas=None if metadatas is None else list(metadatas),
            embeddings=vectors(embeddings),
            finish=list,
        )

    def _query(
        self,
        query_texts: Sequence[str] | None,
        query_embeddings: Any,
        n_results: int,
        where: Where | None,
        where_document: WhereDocument | None,
        include: Sequence[IncludePart],
        mode: SearchMode | None,
        match: KeywordMatch | None,
        min_score: float | None,
        fusion: dict[str, Any] | None,
    ) -> Call[QueryResult]:
        texts = None if query_texts is None else list(query_texts)
        embeddings = vectors(query_embeddings)
        if texts is not None and embeddings is not None and len(texts) != len(embeddings):
            from brainstore.errors import InvalidInput

            raise InvalidInput(
                f"query_embeddings: {len(embeddings)} embeddings for {len(texts)} query_texts; give one per query",
                field="query_embeddings",
                reason=f"{len(embeddings)} embeddings for {len(texts)} query_texts; give one per query",
            )
        n_queries = len(texts if texts is not None else embeddings if embeddings is not None else [None])
        parts = set(include)
        steps = [
            Step(
                self._documents.query,
                (self.name,),
                {
                    "text": None if texts is None else texts[index],
                    "embedding": None if embeddings is None else embeddings[index],
                    "mode": mode,
                    "match": match,
                    "n_results": n_results,
                    "where": where,
                    "where_document": where_document,
                    "min_score": min_score,
                    "fusion": fusion,
                    "include": list(include),
                },
            )
            for index in range(n_queries)
        ]

        def finish(answers: list[Any]) -> QueryResult:
            def column(key: str, part: str) -> list[list[Any]] | None:
                return [[hit.get(key) for hit in hits] for hits in answers] if part in parts else None

            return {
                "ids": [[hit["id"] for hit in hits] for hits in answers],
                "documents": column("text", "documents"),
                "metadatas": column("metadata", "metadatas"),
                "embeddings": column("embedding", "embeddings"),
                "distances": column("distance", "distances"),
                "scores": column("score", "scores"),
            }

        return Call(steps, finish)

    def _get(
        self,
        ids: Sequence[str] | str | None,
        where: Where | None,
        where_document: WhereDocument | None,
        limit: int | None,
        offset: int,
        include: Sequence[IncludePart],
    ) -> Call[GetResult]:
        parts = set(include)
        id_list = [ids] if isinstance(ids, str) else None if ids is None else list(ids)

        def finish(chunks: list[dict[str, Any]]) -> GetResult:
            return {
                "ids": [chunk["id"] for chunk in chunks],
                "documents": [chunk["text"] for chunk in chunks] if "documents" in parts else None,
                "metadatas": [chunk["metadata"] for chunk in chunks] if "metadatas" in parts else None,
                "embeddings": [chunk.get("embedding") for chunk in chunks] if "embeddings" in parts else None,
            }

        return single(
            self._documents.get,
            self.name,
            ids=id_list,
            where=where,
            where_document=where_document,
            limit=limit,
            offset=offset,
            include=list(include),
            finish=finish,
        )

    def _delete(self, ids: Sequence[str] | str | None, where: Where | None) -> Call[int]:
        id_list = [ids] if isinstance(ids, str) else None if ids is None else list(ids)
        return single(self._documents.delete, self.name, ids=id_list, where=where, finish=int)

    def _embed(self, texts: Sequence[str]) -> Call[list[Embedding]]:
        return single(self._documents.embed, self.name, list(texts), finish=list)

    def _delete_all(self) -> Call[int]:
        return single(self._documents.delete_all, self.name, finish=int)

    def _count(self, where: Where | None) -> Call[int]:
        return single(self._documents.count, self.name, where=where, finish=int)

    def _info(self) -> Call[CollectionInfo]:
        def finish(info: CollectionInfo | None) -> CollectionInfo:
            if info is None:
                from brainstore.errors import NotFound

                raise NotFound(f"collection `{self.name}` was not found", what=f"collection `{self.name}`")
            return info

        return single(self._documents.get_collection, self.name, finish=finish)


class StoreCalls:
    """The calls of a store; ``Store`` and ``AsyncStore`` run them."""

    def __init__(self, native: _native.NativeStore) -> None:
        self._native = native
        self._documents = native.documents()

    @property
    def backend(self) -> str:
        """``embedded`` or ``postgres``."""
        return self._native.backend

    def __repr__(self) -> str:
        return f"{type(self).__name__}(backend={self.backend!r})"

    def _create(
        self,
        name: str,
        dimensions: int | None,
        metric: str | None,
        provider: str | None,
        model: str | None,
        embedding: EmbeddingProvider | None,
        exist_ok: bool,
    ) -> Call[CollectionInfo]:
        return single(
            self._documents.create_collection,
            name,
            dimensions=dimensions,
            metric=metric,
            provider=provider,
            model=model,
            embedding=embedding,
            exist_ok=exist_ok,
            finish=same,
        )

    def _list(self) -> Call[list[CollectionInfo]]:
        return single(self._documents.list_collections, finish=list)

    def _drop(self, name: str) -> Call[bool]:
        return single(self._documents.drop_collection, name, finish=bool)

    def _close(self) -> Call[None]:
        return single(self._native.close, finish=lambda _: None)


# Memories, sessions, tasks ----------------------------------------------------------------------------


class MemoryCalls:
    """The calls of agent memory; ``Memories`` and ``AsyncMemories`` run them."""

    def __init__(self, native: _native.NativeMemories) -> None:
        self._native = native

    def _remember(
        self,
        content: str,
        scope: Scope | str,
        dedup_threshold: float | None,
        actor: str | None,
        reason: str | None,
        **fields: Any,
    ) -> Call[RememberOutcome]:
        record = {"scope": scope_record(scope), "content": content, **optional(**fields)}
        return single(
            self._native.remember,
            record,
            finish=lambda answer: from_record(RememberOutcome, answer),
            dedup_threshold=dedup_threshold,
            **optional(actor=actor, reason=reason),
        )

    def _recall(self, scope: Scope | str, **arguments: Any) -> Call[list[RecallHit]]:
        return single(
            self._native.recall,
            scope_record(scope),
            finish=lambda hits: [from_record(RecallHit, hit) for hit in hits],
            **options(**arguments),
        )

    def _get(self, tenant: str, memory_id: str) -> Call[Memory | None]:
        return single(
            self._native.get,
            tenant,
            str(memory_id),
            finish=lambda memory: None if memory is None else from_record(Memory, memory),
        )

    def _list(self, scope: Scope | str, **arguments: Any) -> Call[list[Memory]]:
        return single(
            self._native.list,
            scope_record(scope),
            finish=lambda memories: [from_record(Memory, memory) for memory in memories],
            **options(**arguments),
        )

    def _supersede(
        self,
        tenant: str,
        old_id: str,
        content: str,
        scope: Scope | str | None,
        actor: str | None,
        reason: str | None,
        **fields: Any,
    ) -> Call[tuple[Memory, Memory]]:
        record = {"scope": scope_record(scope or tenant), "content": content, **optional(**fields)}
        return single(
            self._native.supersede,
            tenant,
            str(old_id),
            record,
            finish=lambda pair: (from_record(Memory, pair[0]), from_record(Memory, pair[1])),
            **optional(actor=actor, reason=reason),
        )

    def _forget(self, tenant: str, memory_id: str, **arguments: Any) -> Call[bool]:
        return single(self._native.forget, tenant, str(memory_id), finish=bool, **optional(**arguments))

    def _history(self, tenant: str, memory_id: str) -> Call[list[dict[str, Any]]]:
        return single(self._native.history, tenant, str(memory_id), finish=list)

    def _set_space(self, dimensions: int, **arguments: Any) -> Call[None]:
        return single(self._native.set_space, dimensions, finish=lambda _: None, **optional(**arguments))


class SessionCalls:
    """The calls of sessions, messages, artifacts and agents; ``Sessions`` and ``AsyncSessions`` run them."""

    def __init__(self, native: _native.NativeSessions) -> None:
        self._native = native

    def _create(self, tenant: str, **fields: Any) -> Call[Session]:
        record = {"tenant": tenant, **optional(**fields)}
        return single(self._native.create, record, finish=lambda session: from_record(Session, session))

    def _get(self, tenant: str, session_id: str) -> Call[Session | None]:
        return single(
            self._native.get,
            tenant,
            session_id,
            finish=lambda session: None if session is None else from_record(Session, session),
        )

    def _list(self, tenant: str, **arguments: Any) -> Call[list[Session]]:
        return single(
            self._native.list,
            tenant,
            finish=lambda sessions: [from_record(Session, s) for s in sessions],
            **options(**arguments),
        )

    def _set_status(self, tenant: str, session_id: str, status: str) -> Call[Session]:
        return single(
            self._native.set_status, tenant, session_id, status, finish=lambda session: from_record(Session, session)
        )

    def _append(self, tenant: str, session_id: str, role: str, content: str, **fields: Any) -> Call[AppendOutcome]:
        record = {"role": role, "content": content, **optional(**fields)}
        return single(
            self._native.append_message,
            tenant,
            session_id,
            record,
            finish=lambda outcome: from_record(AppendOutcome, outcome),
        )

    def _messages(self, tenant: str, session_id: str, **arguments: Any) -> Call[list[Any]]:
        from brainstore.types import Message

        return single(
            self._native.list_messages,
            tenant,
            session_id,
            finish=lambda messages: [from_record(Message, message) for message in messages],
            **options(**arguments),
        )

    def _search(self, tenant: str, query: str, **arguments: Any) -> Call[list[MessageHit]]:
        return single(
            self._native.search_messages,
            tenant,
            query,
            finish=lambda hits: [from_record(MessageHit, hit) for hit in hits],
            **options(**arguments),
        )

    def _put_artifact(self, tenant: str, session_id: str, **fields: Any) -> Call[Artifact]:
        return single(
            self._native.put_artifact,
            tenant,
            session_id,
            optional(**fields),
            finish=lambda artifact: from_record(Artifact, artifact),
        )

    def _artifacts(self, tenant: str, session_id: str) -> Call[list[Artifact]]:
        return single(
            self._native.list_artifacts,
            tenant,
            session_id,
            finish=lambda artifacts: [from_record(Artifact, artifact) for artifact in artifacts],
        )

    def _register_agent(self, tenant: str, **fields: Any) -> Call[Agent]:
        return single(
            self._native.register_agent, tenant, optional(**fields), finish=lambda agent: from_record(Agent, agent)
        )

    def _agent_heartbeat(self, tenant: str, name: str, status: str) -> Call[Agent]:
        return single(
            self._native.agent_heartbeat, tenant, name, status, finish=lambda agent: from_record(Agent, agent)
        )


class TaskCalls:
    """The calls of the task queue; ``Tasks`` and ``AsyncTasks`` run them."""

    def __init__(self, native: _native.NativeTasks) -> None:
        self._native = native

    def _enqueue(self, tenant: str, kind: str, **fields: Any) -> Call[EnqueueOutcome]:
        record = {"tenant": tenant, "kind": kind, **optional(**fields)}
        return single(self._native.enqueue, record, finish=lambda outcome: from_record(EnqueueOutcome, outcome))

    def _claim(self, tenant: str, agent: str, **arguments: Any) -> Call[Task | None]:
        return single(
            self._native.claim,
            tenant,
            agent,
            finish=lambda task: None if task is None else from_record(Task, task),
            **options(**arguments),
        )

    def _leased(self, task: Task) -> tuple[str, str, str]:
        if task.lease_id is None:
            from brainstore.errors import Conflict

            raise Conflict(f"task {task.id} holds no lease; claim it first", reason="the task holds no lease")
        return task.tenant, task.id, task.lease_id

    def _complete(self, task: Task, result: Any) -> Call[Task]:
        return single(self._native.complete, *self._leased(task), result, finish=lambda t: from_record(Task, t))

    def _fail(self, task: Task, error: str) -> Call[Task]:
        return single(self._native.fail, *self._leased(task), error, finish=lambda t: from_record(Task, t))

    def _heartbeat(self, task: Task, lease_ms: int) -> Call[Task]:
        return single(
            self._native.heartbeat, *self._leased(task), lease_ms=lease_ms, finish=lambda t: from_record(Task, t)
        )

    def _cancel(self, tenant: str, task_id: str) -> Call[Task]:
        return single(self._native.cancel, tenant, str(task_id), finish=lambda t: from_record(Task, t))

    def _get(self, tenant: str, task_id: str) -> Call[Task | None]:
        return single(
            self._native.get, tenant, str(task_id), finish=lambda t: None if t is None else from_record(Task, t)
        )

    def _list(self, tenant: str, **arguments: Any) -> Call[list[Task]]:
        return single(
            self._native.list,
            tenant,
            finish=lambda tasks: [from_record(Task, t) for t in tasks],
            **options(**arguments),
        )

    def _stats(self, tenant: str) -> Call[dict[str, int]]:
        return single(self._native.stats, tenant, finish=dict)
