"""Static embedding models in NumPy: madoguchi's chiVe model and any sentence-transformers `StaticEmbedding`.

Both are a table of vectors and a way to turn a text into rows of it; the sentence vector is the mean of its
rows, then made unit length. That is a few lines of NumPy, while loading the same directory through
sentence-transformers imports torch (seconds and hundreds of MB per process, on a city's small server). So
serving, `ask`, `search` and index builds read the weights with `safetensors` and the tokenizer with
`tokenizers` (or Sudachi, for chiVe) and compute what sentence-transformers computes, to within 1e-6
(tests/test_static_model.py compares them). A directory with any other module (a transformer, pooling, a dense
layer) is not static: `static_layout()` says None and sentence-transformers loads it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from indexer.modelfiles import mapped_table, word_rows

WORD_VECTORS = "indexer.wordvectors.SudachiWordVectors"
WEIGHTS_FILE = "model.safetensors"
EPSILON = 1e-12  # torch.nn.functional.normalize's floor on the norm


class Vocabulary(Protocol):
    """Word → row."""

    def get(self, word: str) -> int | None: ...


def sudachi_rows(vocab: Vocabulary, text: str) -> list[int]:
    """Vocabulary rows of the content words of one text: whole mode-C units first, then their parts. This is
    the chiVe model's tokenizer, shared by `SudachiWordVectors` (building) and the NumPy path (serving)."""
    from indexer.normalise import CONTENT_POS, FILLER_LEMMAS, normalise_width
    from indexer.sudachi import shared_splitter

    rows: list[int] = []
    # by normalised form, then surface: inlined, as this runs for every word of an index build
    get = vocab.get
    for unit in shared_splitter("A").units(normalise_width(text)):
        whole = unit.whole
        if whole.pos not in CONTENT_POS or whole.lemma in FILLER_LEMMAS:
            continue
        row = get(whole.lemma)
        if row is None and (row := get(whole.surface)) is None:
            rows.extend(r for m in unit.parts if (r := get(m.lemma)) is not None
                        or (r := get(m.surface)) is not None)
        else:
            rows.append(row)
    return rows


class Tokens(Protocol):
    """Texts to rows of the vector table."""

    def rows(self, texts: Sequence[str], prompt: str) -> list[list[int]]: ...


class SudachiTokens:
    """chiVe's words: Sudachi units looked up by normalised form, then surface. A prompt carries no words."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab

    def rows(self, texts: Sequence[str], prompt: str) -> list[list[int]]:
        return [sudachi_rows(self.vocab, str(text)) for text in texts]


class TokenizerTokens:
    """A Hugging Face `tokenizers` tokenizer, used as `StaticEmbedding` uses it: no padding, no special
    tokens, the prompt written before the text."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.tokenizer.no_padding()

    def rows(self, texts: Sequence[str], prompt: str) -> list[list[int]]:
        encodings = self.tokenizer.encode_batch([prompt + str(t) for t in texts], add_special_tokens=False)
        return [list(e.ids) for e in encodings]


@dataclass(slots=True)
class StaticModel:
    """Mean of table rows per text (zero when a text has none), then unit length."""

    tokens: Tokens
    table: np.ndarray

    @property
    def dimensions(self) -> int:
        """Vector width."""
        return int(self.table.shape[1])

    def run(self, texts: Sequence[str], prompt: str = "") -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        rows = self.tokens.rows(texts, prompt)
        single = [(row, ids[0]) for row, ids in enumerate(rows) if len(ids) == 1]
        # a one-word text's mean is that word's row (an index build embeds thousands of single words)
        if single:
            out[[row for row, _ in single]] = self.table[[word for _, word in single]]
        for row, ids in enumerate(rows):
            if len(ids) > 1:
                out[row] = self.table[ids].sum(axis=0, dtype=np.float32) / np.float32(len(ids))
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, np.float32(EPSILON))


@dataclass(frozen=True, slots=True)
class StaticLayout:
    """Where a static model's first module lives and which kind it is; read from modules.json alone."""

    folder: Path
    kind: str  # "word_vectors" or "static_embedding"

    def load(self) -> StaticModel:
        """Read the table (and the tokenizer or vocabulary); torch is not imported."""
        from safetensors.numpy import load_file

        if self.kind == "word_vectors" and (table := mapped_table(self.folder / WEIGHTS_FILE)) is not None:
            return StaticModel(SudachiTokens(word_rows(self.folder)), table)
        weights = load_file(str(self.folder / WEIGHTS_FILE))
        if self.kind == "word_vectors":
            return StaticModel(SudachiTokens(word_rows(self.folder)), _float32(weights["embedding.weight"]))
        from tokenizers import Tokenizer

        tokens = TokenizerTokens(Tokenizer.from_file(str(self.folder / "tokenizer.json")))
        return StaticModel(tokens, _float32(_embedding_table(weights)))


def _float32(table: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(table, dtype=np.float32)


def _embedding_table(weights: dict[str, np.ndarray]) -> np.ndarray:
    """`embedding.weight`, or a model2vec table folded as sentence-transformers folds it (mapping, per-token
    weights), so that row i is token i's vector."""
    if "embedding.weight" in weights:
        return weights["embedding.weight"]
    table = weights["embeddings"]
    if "mapping" in weights:
        table = table[weights["mapping"].astype(np.int64)]
    if "weights" in weights:
        dtype = np.promote_types(table.dtype, np.float32)
        table = (table.astype(dtype) * weights["weights"][:, None]).astype(dtype)
    return table


def static_layout(folder: Path) -> StaticLayout | None:
    """The static layout of a sentence-transformers directory (one static input module, then at most Normalize
    layers, no default prompt or truncation), or None when only sentence-transformers can run it."""
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        config = _json_or_empty(folder / "config_sentence_transformers.json")
    except (OSError, ValueError):
        return None
    if not modules or config.get("default_prompt_name") or config.get("truncate_dim"):
        return None
    first, rest = modules[0], modules[1:]
    kind = _input_kind(str(first.get("type", "")))
    module_folder = folder / str(first.get("path", ""))
    if kind is None or not (module_folder / WEIGHTS_FILE).is_file():
        return None
    if not all(_plain_normalize(folder, m) for m in rest):
        return None
    return StaticLayout(module_folder, kind)


def _input_kind(module_type: str) -> str | None:
    if module_type == WORD_VECTORS:
        return "word_vectors"
    if module_type.startswith("sentence_transformers.") and module_type.endswith(".StaticEmbedding"):
        return "static_embedding"
    return None


def _plain_normalize(folder: Path, module: dict[str, Any]) -> bool:
    """A Normalize layer on the sentence vector (the only kind a static model's vector goes through)."""
    module_type = str(module.get("type", ""))
    if not (module_type.startswith("sentence_transformers.") and module_type.endswith(".Normalize")):
        return False
    config = _json_or_empty(folder / str(module.get("path", "")) / "config.json")
    return config.get("module_input_name", "sentence_embedding") == "sentence_embedding" and \
        config.get("module_output_name", "sentence_embedding") in ("sentence_embedding", None)


def _json_or_empty(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
