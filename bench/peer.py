"""The retriever a LangChain user would build over the same FAQ, as LangChain's documentation shows it.

`EnsembleRetriever` (weighted reciprocal-rank fusion, weights 0.5/0.5) of `BM25Retriever` (rank_bm25) and a
`FAISS` vector store, one Document per FAQ entry (question and answer text, its id in metadata). The vector
store embeds with madoguchi's model directory loaded the way LangChain documents for sentence-transformers
models (`HuggingFaceEmbeddings`): the same model and the same vectors, so the comparison is about retrieval,
not about models. BM25 runs twice: with LangChain's default tokenisation (whitespace split, which on Japanese
leaves whole sentences as "words") and with our Sudachi terms. `MadoguchiEmbeddings` hands the peer
madoguchi's own embedder instead, to show how much of the difference is the query-embedding path.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever

from indexer.embedding import Embedder, SentenceTransformerEmbedder
from indexer.normalise import TextNormaliser
from knowledge.records import Record

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from langchain_classic.retrievers import EnsembleRetriever
    from langchain_community.retrievers import BM25Retriever
    from langchain_community.vectorstores import FAISS

TOP_K = 10


class MadoguchiEmbeddings(Embeddings):
    """madoguchi's embedder behind LangChain's interface: same model, same prompts, same vectors."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Document vectors, as LangChain stores them."""
        return self.embedder.encode_documents(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        """One query vector."""
        return self.embedder.encode_queries([text])[0].tolist()


def documented_embeddings(embedder: SentenceTransformerEmbedder) -> Embeddings:
    """The same model directory as LangChain's documentation loads a sentence-transformers model, offline."""
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(model_name=str(embedder.folder),
                                 encode_kwargs={"normalize_embeddings": True},
                                 model_kwargs={"device": "cpu", "local_files_only": True,
                                               "trust_remote_code": True})


def faq_documents(records: list[Record]) -> list[Document]:
    """One Document per entry, question and answer together, as a LangChain user would load a FAQ table."""
    return [Document(page_content=f"{r.question}\n{r.answer}", metadata={"id": r.id}) for r in records]


def sudachi_terms(normaliser: TextNormaliser) -> Callable[[str], list[str]]:
    """A `preprocess_func` giving BM25 the same Sudachi terms (and synonym groups) madoguchi's BM25 sees."""
    return lambda text: normaliser.run(text).search_terms


def ensemble(documents: list[Document], embeddings: Embeddings,
             preprocess: Callable[[str], list[str]] | None = None) -> BaseRetriever:
    """The peer: BM25 (default or given tokenisation) + FAISS, fused 0.5/0.5, each asked for TOP_K."""
    bm25 = (BM25Retriever.from_documents(documents, preprocess_func=preprocess) if preprocess
            else BM25Retriever.from_documents(documents))
    bm25.k = TOP_K
    vectors = FAISS.from_documents(documents, embeddings).as_retriever(search_kwargs={"k": TOP_K})
    return EnsembleRetriever(retrievers=[bm25, vectors], weights=[0.5, 0.5])


def ranked_ids(retriever: BaseRetriever, text: str) -> list[str]:
    """The peer's top TOP_K entry ids for one query."""
    return [doc.metadata["id"] for doc in retriever.invoke(text)[:TOP_K]]
