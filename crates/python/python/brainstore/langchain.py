"""``BrainstoreVectorStore``: a LangChain ``VectorStore`` on a brainstore collection, sync and async.

Needs ``langchain-core`` (``pip install "brainstore[langchain]"``)::

    from brainstore.langchain import BrainstoreVectorStore

    vectors = BrainstoreVectorStore(brainstore.open(".brainstore"), embeddings, collection_name="notes")
    vectors.add_texts(["tokio is an async runtime"], metadatas=[{"lang": "rust"}])
    vectors.similarity_search("async rust", k=4, filter={"lang": "rust"})

Filters use brainstore's ``where`` syntax (Chroma's: ``{"year": {"$gte": 2020}}``), plus ``where_document``.
``search_mode="hybrid"`` fuses the vector and BM25 keyword legs. Scores from ``similarity_search_with_score``
are relevance in [0, 1], higher is better, so ``similarity_search_with_relevance_scores`` returns them as
they are. The collection records its dimensions from the first embeddings it stores.

Instead of a LangChain ``Embeddings``, pass a brainstore embedding provider (``"local"``, or a provider dict
as ``Store.create_collection`` takes it): the collection records that model, and :class:`CollectionEmbeddings`
embeds documents and queries with it, in Rust::

    vectors = BrainstoreVectorStore(brainstore.open(".brainstore"), "local", collection_name="notes")
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore
from langchain_core.vectorstores.utils import maximal_marginal_relevance

from brainstore._native import generate_id
from brainstore._sync import Collection, Store
from brainstore.aio import AsyncCollection
from brainstore.errors import IncompatibleState
from brainstore.types import EmbeddingProvider, QueryResult, SearchMode, Where


class CollectionEmbeddings(Embeddings):
    """LangChain ``Embeddings`` from a collection's embedding provider (``Collection.embed``)."""

    def __init__(self, collection: Collection, async_collection: AsyncCollection) -> None:
        self._collection = collection
        self._async_collection = async_collection

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._collection.embed(texts)

    def embed_query(self, text: str) -> list[float]:
        return self._collection.embed([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return await self._async_collection.embed(texts)

    async def aembed_query(self, text: str) -> list[float]:
        return (await self._async_collection.embed([text]))[0]


def _not_initialized(error: IncompatibleState) -> bool:
    return getattr(error, "kind", None) == "not_initialized"


def _ids_for(documents: Sequence[Document], ids: Sequence[str | None] | None) -> list[str]:
    """One id per document: the given one, the document's own, or a new UUIDv7."""
    given: Sequence[str | None] = ids if ids is not None else [document.id for document in documents]
    return [generate_id() if identifier is None else identifier for identifier in given]


def _as_documents(texts: Iterable[str], metadatas: list[dict[str, Any]] | None) -> list[Document]:
    return [
        Document(page_content=text, metadata=(metadatas[index] if metadatas else {}))
        for index, text in enumerate(texts)
    ]


def _columns(documents: Sequence[Document]) -> tuple[list[str], list[dict[str, Any]]]:
    """The texts and metadatas of documents, as the parallel columns ``Collection.upsert`` takes."""
    return [document.page_content for document in documents], [document.metadata for document in documents]


def _documents(result: QueryResult) -> list[tuple[Document, float, list[float] | None]]:
    ids = result["ids"][0]
    texts = result["documents"][0] if result["documents"] else [""] * len(ids)
    metadatas = result["metadatas"][0] if result["metadatas"] else [{}] * len(ids)
    scores = result["scores"][0] if result["scores"] else [0.0] * len(ids)
    embeddings = result["embeddings"][0] if result["embeddings"] else [None] * len(ids)
    return [
        (Document(id=identifier, page_content=text, metadata=metadata or {}), score, embedding)
        for identifier, text, metadata, score, embedding in zip(ids, texts, metadatas, scores, embeddings, strict=True)
    ]


class BrainstoreVectorStore(VectorStore):
    """A LangChain vector store whose documents are the chunks of one brainstore collection."""

    def __init__(
        self,
        store: Store,
        embedding: Embeddings | EmbeddingProvider,
        *,
        collection_name: str = "langchain",
        metric: str | None = None,
        search_mode: SearchMode = "vector",
    ) -> None:
        self._store = store
        self._metric = metric
        self.search_mode: SearchMode = search_mode
        self.collection_name = collection_name
        provider = None if isinstance(embedding, Embeddings) else embedding
        store.get_or_create_collection(collection_name, metric=metric if provider else None, embedding=provider)
        self._collection = Collection(store._documents, collection_name)
        self._async_collection = AsyncCollection(store._documents, collection_name)
        self._embedding: Embeddings = (
            embedding
            if isinstance(embedding, Embeddings)
            else CollectionEmbeddings(self._collection, self._async_collection)
        )
        self._dimensions_recorded = provider is not None

    @property
    def embeddings(self) -> Embeddings:
        return self._embedding

    @property
    def collection(self) -> Collection:
        """The brainstore collection behind this vector store."""
        return self._collection

    def _record_dimensions(self, vectors: Sequence[Sequence[float]]) -> None:
        """Records the collection's dimensions from the first embeddings, unless it has a space already."""
        if self._dimensions_recorded or not vectors:
            return
        if self._collection.info()["embedding_space"] is None:
            self._store.get_or_create_collection(self.collection_name, dimensions=len(vectors[0]), metric=self._metric)
        self._dimensions_recorded = True

    def _query_args(self, query: str | None, embedding: list[float], k: int, kwargs: dict[str, Any]) -> dict[str, Any]:
        mode: SearchMode = kwargs.pop("search_mode", self.search_mode)
        return {
            "query_texts": [query] if query is not None and mode != "vector" else None,
            "query_embeddings": [embedding],
            "n_results": k,
            "where": kwargs.pop("filter", None),
            "where_document": kwargs.pop("where_document", None),
            "mode": mode if query is not None else "vector",
            "include": ["documents", "metadatas", "scores", *(["embeddings"] if kwargs.pop("_vectors", False) else [])],
        }

    # Writing ------------------------------------------------------------------------------------------

    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        return self.add_documents(_as_documents(texts, metadatas), ids=ids, **kwargs)

    def add_documents(self, documents: list[Document], **kwargs: Any) -> list[str]:
        """Embeds and upserts the documents in one atomic batch; returns their ids (new UUIDv7s where a
        document has none). A document with an existing id replaces it."""
        if not documents:
            return []
        ids = _ids_for(documents, kwargs.get("ids"))
        texts, metadatas = _columns(documents)
        vectors = self._embedding.embed_documents(texts)
        self._record_dimensions(vectors)
        return self._collection.upsert(ids=ids, documents=texts, metadatas=metadatas, embeddings=vectors)

    async def aadd_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        return await self.aadd_documents(_as_documents(texts, metadatas), ids=ids, **kwargs)

    async def aadd_documents(self, documents: list[Document], **kwargs: Any) -> list[str]:
        if not documents:
            return []
        ids = _ids_for(documents, kwargs.get("ids"))
        texts, metadatas = _columns(documents)
        vectors = await self._embedding.aembed_documents(texts)
        self._record_dimensions(vectors)
        return await self._async_collection.upsert(ids=ids, documents=texts, metadatas=metadatas, embeddings=vectors)

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        """Deletes by ids, by ``filter`` (a ``where`` filter), or, with neither, every document."""
        where: Where | None = kwargs.get("filter")
        if ids is not None:
            self._collection.delete(ids=ids)
        elif where is not None:
            self._collection.delete(where=where)
        else:
            self._collection.delete_all()
        return True

    async def adelete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        where: Where | None = kwargs.get("filter")
        if ids is not None:
            await self._async_collection.delete(ids=ids)
        elif where is not None:
            await self._async_collection.delete(where=where)
        else:
            await self._async_collection.delete_all()
        return True

    # Reading ------------------------------------------------------------------------------------------

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        """The stored documents with these ids, in the order of ``ids``; missing ids are left out."""
        result = self._collection.get(ids=list(ids))
        return self._to_documents(result["ids"], result["documents"], result["metadatas"])

    async def aget_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        result = await self._async_collection.get(ids=list(ids))
        return self._to_documents(result["ids"], result["documents"], result["metadatas"])

    @staticmethod
    def _to_documents(
        ids: list[str], texts: list[str] | None, metadatas: list[dict[str, Any]] | None
    ) -> list[Document]:
        return [
            Document(
                id=identifier,
                page_content=texts[index] if texts else "",
                metadata=metadatas[index] if metadatas else {},
            )
            for index, identifier in enumerate(ids)
        ]

    def _search(
        self, query: str | None, embedding: list[float], k: int, kwargs: dict[str, Any]
    ) -> list[tuple[Document, float, list[float] | None]]:
        try:
            return _documents(self._collection.query(**self._query_args(query, embedding, k, kwargs)))
        except IncompatibleState as error:
            if _not_initialized(error):  # no embedding stored yet: nothing is similar
                return []
            raise

    async def _asearch(
        self, query: str | None, embedding: list[float], k: int, kwargs: dict[str, Any]
    ) -> list[tuple[Document, float, list[float] | None]]:
        try:
            return _documents(await self._async_collection.query(**self._query_args(query, embedding, k, kwargs)))
        except IncompatibleState as error:
            if _not_initialized(error):
                return []
            raise

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        """The ``k`` documents most similar to ``query``; ``filter`` and ``where_document`` narrow them first."""
        return [document for document, _, _ in self._search(query, self._embedding.embed_query(query), k, kwargs)]

    async def asimilarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        embedding = await self._embedding.aembed_query(query)
        return [document for document, _, _ in await self._asearch(query, embedding, k, kwargs)]

    def similarity_search_with_score(self, query: str, k: int = 4, **kwargs: Any) -> list[tuple[Document, float]]:
        """Documents with their relevance in [0, 1], higher is better."""
        hits = self._search(query, self._embedding.embed_query(query), k, kwargs)
        return [(document, score) for document, score, _ in hits]

    async def asimilarity_search_with_score(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        hits = await self._asearch(query, await self._embedding.aembed_query(query), k, kwargs)
        return [(document, score) for document, score, _ in hits]

    def _select_relevance_score_fn(self) -> Any:
        # brainstore's scores already are relevance in [0, 1], higher is better, for every metric.
        return lambda score: score

    def similarity_search_by_vector(self, embedding: list[float], k: int = 4, **kwargs: Any) -> list[Document]:
        return [document for document, _, _ in self._search(None, embedding, k, kwargs)]

    async def asimilarity_search_by_vector(self, embedding: list[float], k: int = 4, **kwargs: Any) -> list[Document]:
        return [document for document, _, _ in await self._asearch(None, embedding, k, kwargs)]

    def max_marginal_relevance_search_by_vector(
        self, embedding: list[float], k: int = 4, fetch_k: int = 20, lambda_mult: float = 0.5, **kwargs: Any
    ) -> list[Document]:
        """``k`` documents chosen among the ``fetch_k`` nearest for relevance and diversity; the candidates'
        vectors come back with the one query, with no call per candidate."""
        candidates = self._search(None, embedding, fetch_k, {**kwargs, "_vectors": True})
        return self._pick_diverse(embedding, candidates, k, lambda_mult)

    async def amax_marginal_relevance_search_by_vector(
        self, embedding: list[float], k: int = 4, fetch_k: int = 20, lambda_mult: float = 0.5, **kwargs: Any
    ) -> list[Document]:
        candidates = await self._asearch(None, embedding, fetch_k, {**kwargs, "_vectors": True})
        return self._pick_diverse(embedding, candidates, k, lambda_mult)

    def max_marginal_relevance_search(
        self, query: str, k: int = 4, fetch_k: int = 20, lambda_mult: float = 0.5, **kwargs: Any
    ) -> list[Document]:
        embedding = self._embedding.embed_query(query)
        return self.max_marginal_relevance_search_by_vector(embedding, k, fetch_k, lambda_mult, **kwargs)

    async def amax_marginal_relevance_search(
        self, query: str, k: int = 4, fetch_k: int = 20, lambda_mult: float = 0.5, **kwargs: Any
    ) -> list[Document]:
        embedding = await self._embedding.aembed_query(query)
        return await self.amax_marginal_relevance_search_by_vector(embedding, k, fetch_k, lambda_mult, **kwargs)

    @staticmethod
    def _pick_diverse(
        query: list[float], candidates: list[tuple[Document, float, list[float] | None]], k: int, lambda_mult: float
    ) -> list[Document]:
        import numpy as np

        with_vectors = [(document, vector) for document, _, vector in candidates if vector is not None]
        chosen = maximal_marginal_relevance(
            np.array(query, dtype=np.float32), [vector for _, vector in with_vectors], lambda_mult=lambda_mult, k=k
        )
        return [with_vectors[index][0] for index in chosen]

    # Construction -------------------------------------------------------------------------------------

    @classmethod
    def from_texts(
        cls,
        texts: list[str],
        embedding: Embeddings | EmbeddingProvider,
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> BrainstoreVectorStore:
        """A vector store on ``store`` (or the embedded store at ``path``, default ``.brainstore``) holding
        ``texts``."""
        store: Store | None = kwargs.pop("store", None)
        if store is None:
            from brainstore._sync import open as open_store

            store = open_store(kwargs.pop("path", ".brainstore"))
        vector_store = cls(store, embedding, **kwargs)
        vector_store.add_texts(texts, metadatas, ids=ids)
        return vector_store


__all__ = ["BrainstoreVectorStore", "CollectionEmbeddings"]
