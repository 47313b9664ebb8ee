"""Fixtures: every test that takes ``store`` runs on the embedded backend and on PostgreSQL 18 and 16.

The PostgreSQL URLs come from ``BRAINSTORE_TEST_DATABASE_URL`` and ``BRAINSTORE_TEST_DATABASE_URL_COMPAT``, which
``cargo xtask test`` sets after starting both servers. A missing URL fails the test, naming the variable: a
PostgreSQL test never skips. Each test gets a schema (or folder) of its own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import brainstore
import pytest

BACKENDS = {
    "embedded": None,
    "postgres": "BRAINSTORE_TEST_DATABASE_URL",
    "postgres_compat": "BRAINSTORE_TEST_DATABASE_URL_COMPAT",
}


def database_url(variable: str) -> str:
    url = os.environ.get(variable, "").strip()
    if not url:
        pytest.fail(
            f"{variable} is not set: PostgreSQL tests never skip. Run them through `cargo xtask test`, which starts "
            f"PostgreSQL 18 and 16 with pgvector, or export {variable}=$(cargo xtask pg url [--compat])",
            pytrace=False,
        )
    return url


def open_store(backend: str, tmp_path: Path) -> brainstore.Store:
    variable = BACKENDS[backend]
    if variable is None:
        return brainstore.open(str(tmp_path / "store"))
    schema = f"t_py_{uuid.uuid4().hex[:16]}"
    return brainstore.connect(database_url(variable), schema=schema, pool_size=2)


@pytest.fixture(params=list(BACKENDS))
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(backend: str, tmp_path: Path) -> Iterator[brainstore.Store]:
    opened = open_store(backend, tmp_path)
    yield opened
    opened.close()
