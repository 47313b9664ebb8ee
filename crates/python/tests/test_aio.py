"""``brainstore.aio``: the blocking API's classes and signatures as coroutines, working on every backend."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import brainstore
import pytest
from brainstore import aio

from .conftest import BACKENDS, database_url

PAIRS = [
    (brainstore.Store, aio.AsyncStore),
    (brainstore.Collection, aio.AsyncCollection),
    (brainstore.Memories, aio.AsyncMemories),
    (brainstore.Sessions, aio.AsyncSessions),
    (brainstore.Tasks, aio.AsyncTasks),
]


def public_methods(cls: type) -> dict[str, Callable[..., Any]]:
    return {
        name: member
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_") and member.__qualname__.split(".")[0] == cls.__name__
    }


@pytest.mark.parametrize(("sync", "asynchronous"), PAIRS)
def test_every_method_has_an_awaitable_twin_with_the_same_signature(sync: type, asynchronous: type) -> None:
    sync_methods = public_methods(sync)
    async_methods = public_methods(asynchronous)
    assert sorted(sync_methods) == sorted(async_methods)
    for name, method in sync_methods.items():
        twin = async_methods[name]
        assert inspect.iscoroutinefunction(twin), f"{asynchronous.__name__}.{name} is not a coroutine"
        plain = str(inspect.signature(method)).replace("Async", "")
        assert plain == str(inspect.signature(twin)).replace("Async", ""), name


async def open_async(backend: str, tmp_path: Path) -> aio.AsyncStore:
    variable = BACKENDS[backend]
    if variable is None:
        return await aio.open(str(tmp_path / "store"))
    import uuid

    return await aio.connect(database_url(variable), schema=f"t_py_{uuid.uuid4().hex[:16]}", pool_size=2)


async def test_the_async_api_upserts_queries_and_runs_queries_concurrently(backend: str, tmp_path: Path) -> None:
    async with await open_async(backend, tmp_path) as store:
        docs = await store.create_collection("docs", dimensions=2)
        ids = await docs.upsert(documents=["east", "north"], embeddings=[[1.0, 0.0], [0.0, 1.0]])
        results = await asyncio.gather(
            docs.query(query_embeddings=[[1.0, 0.1], [0.1, 1.0]], n_results=1),
            docs.get(ids=list(reversed(ids))),
            docs.count(),
        )
        assert results[0]["ids"] == [[ids[0]], [ids[1]]]
        assert results[1]["documents"] == ["north", "east"]
        assert results[2] == 2
        task = (await store.tasks.enqueue("acme", "index")).task
        claimed = await store.tasks.claim("acme", "worker")
        assert claimed is not None and claimed.id == task.id
        with pytest.raises(brainstore.NotFound):
            await store.get_collection("missing")
        assert await docs.delete_all() == 2
