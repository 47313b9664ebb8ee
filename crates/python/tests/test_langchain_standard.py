"""LangChain's standard vector store tests (``langchain-tests``), unmodified, on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from brainstore.langchain import BrainstoreVectorStore
from langchain_core.vectorstores import VectorStore
from langchain_tests.integration_tests import VectorStoreIntegrationTests

from .conftest import open_store


class TestBrainstoreVectorStore(VectorStoreIntegrationTests):
    @pytest.fixture
    def vectorstore(self, backend: str, tmp_path: Path) -> Iterator[VectorStore]:
        store = open_store(backend, tmp_path)
        yield BrainstoreVectorStore(store, self.get_embeddings(), collection_name="standard")
        store.close()
