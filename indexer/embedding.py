"""Embedders: our small protocol, with NumPy behind static models and sentence-transformers behind the rest.

Query and document sides are explicit (`encode_queries` / `encode_documents`) because transformer
retrieval models want different prompts on each side; the prompts are part of the index manifest.
A static model (the default chiVe model, any `StaticEmbedding` directory) runs in NumPy (indexer/static.py),
so a server or a command with such a model never imports torch; only other models load sentence-transformers.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from indexer.static import StaticLayout, StaticModel, static_layout
from knowledge.core.errors import ConfigurationError, ModelError
from knowledge.core.settings import BUILTIN_MODEL, Settings

_OUR_MODULE_PREFIXES = ("sentence_transformers.", "indexer.")
PROBE = "住民票の写しを取りたい"


class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors."""

    @property
    def dimensions(self) -> int: ...

    def describe(self) -> dict[str, Any]: ...

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_documents(self, texts: list[str]) -> np.ndarray: ...


def _fingerprint(folder: Path) -> str:
    """Hash of the model's config and weight sizes: cheap, and changes whenever the model does."""
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(f"{file.relative_to(folder)}:{file.stat().st_size}".encode())
        if file.suffix == ".json" and file.stat().st_size < 100_000:
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def _only_known_modules(folder: Path) -> bool:
    modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
    return all(str(m.get("type", "")).startswith(_OUR_MODULE_PREFIXES) for m in modules)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model directory on disk; `warm_up()` loads it."""

    def __init__(self, folder: Path, name: str, query_prompt: str = "", document_prompt: str = "") -> None:
        if not (folder / "modules.json").exists():
            raise ConfigurationError(f"{folder} is not a sentence-transformers model directory (no "
                                     "modules.json)")
        self.folder, self.name = folder, name
        self.query_prompt, self.document_prompt = query_prompt, document_prompt
        self._model: Any = None
        self._one_call = threading.Lock()  # its fast tokenizer resets truncation on every call and raises
        # "Already borrowed" when two threads do so at once; encoding is serialised on the model itself

    def warm_up(self) -> SentenceTransformerEmbedder:
        """Load the model on the CPU, offline, and run it once so the first real request is not the slow
        one."""
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            try:
                self._model = SentenceTransformer(str(self.folder), device="cpu", local_files_only=True,
                                                  trust_remote_code=_only_known_modules(self.folder))
            except (OSError, ValueError) as exc:
                raise ModelError(f"cannot load the embedding model at {self.folder}: {exc}") from exc
            self._model.encode([PROBE], convert_to_numpy=True)  # the first call initialises torch
        return self

    @property
    def dimensions(self) -> int:
        """Vector width."""
        return int(self.warm_up()._model.get_embedding_dimension())

    def describe(self) -> dict[str, Any]:
        """Identity of the model, written into the index manifest and compared on load."""
        return {"name": self.name, "fingerprint": _fingerprint(self.folder), "dimensions": self.dimensions,
                "query_prompt": self.query_prompt, "document_prompt": self.document_prompt}

    def _encode(self, texts: list[str], prompt: str) -> np.ndarray:
        model = self.warm_up()._model
        with self._one_call:
            vectors = model.encode(texts, prompt=prompt or None, batch_size=256,
                                   normalize_embeddings=True, convert_to_numpy=True)
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Vectors for what people typed."""
        return self._encode(texts, self.query_prompt)

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        """Vectors for questions, paraphrases and answers in the index."""
        return self._encode(texts, self.document_prompt)


class StaticEmbedder:
    """A static model directory (see indexer/static.py) run in NumPy: the vectors sentence-transformers gives
    for it, without torch. `warm_up()` reads the weights."""

    def __init__(self, layout: StaticLayout, folder: Path, name: str, query_prompt: str = "",
                 document_prompt: str = "") -> None:
        self.layout, self.folder, self.name = layout, folder, name
        self.query_prompt, self.document_prompt = query_prompt, document_prompt
        self._model: StaticModel | None = None

    def warm_up(self) -> StaticEmbedder:
        """Read the table and tokenizer, and embed once so the tokenizer (Sudachi) is loaded before a
        request."""
        if self._model is None:
            try:
                self._model = self.layout.load()
            except (OSError, ValueError, KeyError) as exc:
                raise ModelError(f"cannot load the embedding model at {self.folder}: {exc}") from exc
            self._model.run([PROBE])
        return self

    @property
    def model(self) -> StaticModel:
        """The loaded model."""
        model = self.warm_up()._model
        assert model is not None
        return model

    @property
    def dimensions(self) -> int:
        """Vector width."""
        return self.model.dimensions

    def describe(self) -> dict[str, Any]:
        """The same identity as `SentenceTransformerEmbedder` gives for the directory: an index built by
        either is served by either."""
        return {"name": self.name, "fingerprint": _fingerprint(self.folder), "dimensions": self.dimensions,
                "query_prompt": self.query_prompt, "document_prompt": self.document_prompt}

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Vectors for what people typed."""
        return self.model.run(texts, self.query_prompt)

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        """Vectors for questions, paraphrases and answers in the index."""
        return self.model.run(texts, self.document_prompt)


ModelEmbedder = StaticEmbedder | SentenceTransformerEmbedder


def model_embedder(folder: Path, name: str, query_prompt: str = "",
                   document_prompt: str = "") -> ModelEmbedder:
    """NumPy for a static model directory, sentence-transformers (and torch) for any other."""
    layout = static_layout(folder)
    if layout is not None:
        return StaticEmbedder(layout, folder, name, query_prompt, document_prompt)
    return SentenceTransformerEmbedder(folder, name, query_prompt, document_prompt)


def embedder_from_settings(settings: Settings) -> ModelEmbedder:
    """The configured model; the built-in one is built from ja-ginza on first use."""
    if settings.model == BUILTIN_MODEL:
        from indexer.chive import MODEL_NAME, build_chive_model

        folder = build_chive_model(settings.model_cache_dir / MODEL_NAME)
        return model_embedder(folder, MODEL_NAME)
    folder = Path(settings.model).expanduser()
    if not folder.is_dir():
        raise ConfigurationError(f"MADOGUCHI_MODEL={settings.model!r} is neither 'chive' nor a model "
                                 "directory")
    return model_embedder(folder, folder.name, settings.query_prompt, settings.document_prompt)


class LentEmbedder:
    """The serving bot's model lent to a build in the same process, so that publishing from the desk needs
    no second copy of it (about 100 MB per city and worker). A build's texts go to the model a few at a
    time, so an answer that needs the model meanwhile (a transformer model takes one call at a time)
    waits for at most one slice, not for the whole build."""

    SLICE = 32

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner

    @property
    def dimensions(self) -> int:
        """Vector width of the lent model."""
        return self.inner.dimensions

    def describe(self) -> dict[str, Any]:
        """The lent model's identity, so the manifest is the one a copy of the model would write."""
        return self.inner.describe()

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._sliced(self.inner.encode_queries, texts)

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return self._sliced(self.inner.encode_documents, texts)

    def _sliced(self, encode: Callable[[list[str]], np.ndarray], texts: list[str]) -> np.ndarray:
        parts = []
        for start in range(0, len(texts), self.SLICE):
            parts.append(encode(texts[start:start + self.SLICE]))
        return np.vstack(parts) if parts else np.zeros((0, self.dimensions), dtype=np.float32)
