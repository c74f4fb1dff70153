"""Query vectors: madoguchi's quick path gives the vectors the model itself gives, and so does LangChain."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer

from bot.labelled import read_labelled
from indexer.embedding import SentenceTransformerEmbedder, embedder_from_settings
from knowledge.core.settings import PACKAGE_DIR, Settings

pytestmark = pytest.mark.integration

QUESTIONS = [q.text for q in read_labelled(PACKAGE_DIR / "samples" / "labelled" / "minato.jsonl")]
ODD = ["", "？？？", "ｓｏｆａを捨てたい", "a" * 5000, "住民票\n印鑑登録\n\nマイナンバー"]


@pytest.fixture(scope="module")
def embedder(model_cache: Path) -> SentenceTransformerEmbedder:
    return embedder_from_settings(Settings(data_dir=model_cache)).warm_up()


def test_query_vectors_are_the_models_own(embedder: SentenceTransformerEmbedder) -> None:
    model = SentenceTransformer(str(embedder.folder), device="cpu", local_files_only=True,
                                trust_remote_code=True)
    texts = QUESTIONS + ODD
    expected = model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    np.testing.assert_allclose(embedder.encode_queries(texts), expected, atol=1e-6)
    assert not embedder.encode_queries(["？？？"]).any()  # no known word: the zero vector, as the model gives


def test_the_langchain_peer_embeds_with_the_same_vectors(embedder: SentenceTransformerEmbedder) -> None:
    from bench.peer import documented_embeddings

    langchain = documented_embeddings(embedder)
    ours = embedder.encode_queries(QUESTIONS[:40])
    np.testing.assert_allclose(np.array([langchain.embed_query(t) for t in QUESTIONS[:40]]), ours, atol=1e-6)
