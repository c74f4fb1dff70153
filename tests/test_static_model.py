"""Static models run in NumPy give the vectors sentence-transformers gives for the same directory.

The default chiVe model and a `StaticEmbedding` directory made here (a tokenizer trained on the sample city's
texts, seeded random vectors) are each loaded twice: by madoguchi, which must not need torch, and by
sentence-transformers itself, the reference.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file
from sentence_transformers import SentenceTransformer

from indexer.embedding import (
    SentenceTransformerEmbedder,
    StaticEmbedder,
    embedder_from_settings,
    model_embedder,
)
from indexer.modelfiles import LOOKUP_SUFFIX
from knowledge.core.settings import Settings
from testing.static_texts import reference, thousand_texts

pytestmark = pytest.mark.integration

def test_the_default_model_runs_in_numpy_with_sentence_transformers_vectors(model_cache: Path) -> None:
    embedder = embedder_from_settings(Settings(data_dir=model_cache))
    assert isinstance(embedder, StaticEmbedder)
    texts = thousand_texts()
    expected = reference(embedder.folder, texts)
    assert np.abs(embedder.encode_queries(texts) - expected).max() <= 1e-6
    assert np.abs(embedder.encode_documents(texts) - expected).max() <= 1e-6
    assert not embedder.encode_queries(["？？？"]).any()  # no known word: the zero vector, as the model gives
    inside = [p.name for p in embedder.folder.rglob("*") if p.name.endswith(LOOKUP_SUFFIX)]
    assert inside == [] and (embedder.folder.parent / (embedder.folder.name + LOOKUP_SUFFIX)).is_file()


def static_embedding_dir(folder: Path, texts: list[str]) -> Path:
    """A StaticEmbedding + Normalize directory, saved by sentence-transformers from a tokenizer trained
    here."""
    import torch
    from sentence_transformers.sentence_transformer.modules import Normalize, StaticEmbedding
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=800, special_tokens=["[UNK]"]))
    torch.manual_seed(20261203)
    model = SentenceTransformer(modules=[StaticEmbedding(tokenizer, embedding_dim=48), Normalize()],
                                device="cpu")
    model.save(str(folder))
    return folder


def test_a_static_embedding_directory_runs_in_numpy_with_its_prompts(tmp_path: Path) -> None:
    texts = thousand_texts()
    folder = static_embedding_dir(tmp_path / "static", texts)
    embedder = model_embedder(folder, "static", query_prompt="質問: ", document_prompt="文書: ")
    assert isinstance(embedder, StaticEmbedder)
    assert np.abs(embedder.encode_queries(texts) - reference(folder, texts, "質問: ")).max() <= 1e-6
    assert np.abs(embedder.encode_documents(texts) - reference(folder, texts, "文書: ")).max() <= 1e-6


def test_model2vec_weights_are_folded_as_sentence_transformers_folds_them(tmp_path: Path) -> None:
    texts = thousand_texts()[:200]
    folder = static_embedding_dir(tmp_path / "static", texts)
    rows = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    generator = np.random.default_rng(7)
    save_file({"embeddings": generator.normal(size=(100, 16)).astype(np.float32),
               "mapping": generator.integers(0, 100, size=len(rows)).astype(np.int64),
               "weights": generator.uniform(0.1, 2, size=len(rows)).astype(np.float32)},
              str(folder / "model.safetensors"))
    embedder = model_embedder(folder, "model2vec")
    assert isinstance(embedder, StaticEmbedder)
    assert np.abs(embedder.encode_queries(texts) - reference(folder, texts)).max() <= 1e-6


@pytest.mark.parametrize("module", ["sentence_transformers.base.modules.transformer.Transformer",
                                    "sentence_transformers.sentence_transformer.modules.Pooling"])
def test_a_model_with_any_other_module_is_left_to_sentence_transformers(tmp_path: Path, model_cache: Path,
                                                                         module: str) -> None:
    folder = static_embedding_dir(tmp_path / "static", thousand_texts()[:100])
    modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
    modules.insert(1, {"idx": 1, "name": "1", "path": "", "type": module})
    (folder / "modules.json").write_text(json.dumps(modules), encoding="utf-8")
    assert isinstance(model_embedder(folder, "other"), SentenceTransformerEmbedder)
