"""What the LangChain integration adds beyond the standard tests: MMR, filters, hybrid mode, scores, async."""

from __future__ import annotations

from brainstore import Store
from brainstore.langchain import BrainstoreVectorStore
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

TEXTS = ["tokio runtime internals", "tokio runtime internals!", "python asyncio event loop", "go scheduler"]
VECTORS = {
    TEXTS[0]: [1.0, 0.0, 0.0],
    TEXTS[1]: [0.99, 0.01, 0.0],
    TEXTS[2]: [0.7, 0.7, 0.0],
    TEXTS[3]: [0.0, 0.0, 1.0],
}


class FixedEmbeddings(Embeddings):
    """The fixture's own vectors, so which documents are near-duplicates is known; other text points along y."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [VECTORS.get(text, [0.0, 1.0, 0.0]) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return VECTORS.get(text, [0.0, 1.0, 0.0])


def vector_store(store: Store) -> BrainstoreVectorStore:
    vectors = BrainstoreVectorStore(store, FixedEmbeddings(), collection_name="lc")
    vectors.add_texts(TEXTS, metadatas=[{"lang": "rust"}, {"lang": "rust"}, {"lang": "python"}, {"lang": "go"}])
    return vectors


def test_filters_and_where_document_narrow_the_search(store: Store) -> None:
    vectors = vector_store(store)
    found = vectors.similarity_search("anything", k=4, filter={"lang": "python"})
    assert [document.page_content for document in found] == ["python asyncio event loop"]
    found = vectors.similarity_search("anything", k=4, where_document={"$contains": "scheduler"})
    assert [document.metadata for document in found] == [{"lang": "go"}]


def test_scores_are_relevance_in_unit_range_best_first(store: Store) -> None:
    vectors = vector_store(store)
    scored = vectors.similarity_search_with_relevance_scores(TEXTS[2], k=4)
    assert scored[0][0].page_content == TEXTS[2]
    assert all(0.0 <= score <= 1.0 for _, score in scored)
    assert [score for _, score in scored] == sorted((score for _, score in scored), reverse=True)


def test_mmr_prefers_diverse_documents(store: Store) -> None:
    vectors = vector_store(store)
    plain = vectors.similarity_search(TEXTS[0], k=2)
    assert [document.page_content for document in plain] == TEXTS[:2]
    diverse = vectors.max_marginal_relevance_search(TEXTS[0], k=2, fetch_k=4, lambda_mult=0.1)
    assert diverse[0].page_content == TEXTS[0]
    assert diverse[1].page_content != TEXTS[1], "the near-duplicate is passed over"


def test_hybrid_mode_finds_keyword_matches(store: Store) -> None:
    vectors = vector_store(store)
    found = vectors.similarity_search("scheduler", k=1, search_mode="hybrid")
    assert found[0].page_content == "go scheduler"


async def test_async_methods_match_the_sync_ones(store: Store) -> None:
    vectors = BrainstoreVectorStore(store, FixedEmbeddings(), collection_name="lc_async")
    ids = await vectors.aadd_documents([Document(page_content=text) for text in TEXTS])
    assert await vectors.asimilarity_search(TEXTS[3], k=1) == vectors.similarity_search(TEXTS[3], k=1)
    diverse = await vectors.amax_marginal_relevance_search(TEXTS[0], k=2, fetch_k=4, lambda_mult=0.1)
    assert [document.page_content for document in diverse] == [
        document.page_content
        for document in vectors.max_marginal_relevance_search(TEXTS[0], k=2, fetch_k=4, lambda_mult=0.1)
    ]
    await vectors.adelete(ids[:2])
    assert [document.id for document in await vectors.aget_by_ids(ids)] == ids[2:]
    await vectors.adelete()
    assert await vectors.aget_by_ids(ids) == []
