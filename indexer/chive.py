"""Building madoguchi's default embedding model from the chiVe vectors that `ja-ginza` ships.

The vectors (20,000 rows × 300, about 480k words mapped onto them) are read straight from the
installed package and saved as a sentence-transformers model directory, once, so later runs load
it like any other model. Nothing is downloaded.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from knowledge.core.errors import ModelError

MODEL_NAME = "chive-ja-ginza"


def ginza_vocab_dir() -> Path:
    """The `vocab/` folder of the installed ja_ginza model package."""
    try:
        import ja_ginza
    except ImportError as exc:
        raise ModelError("the default model needs the ja-ginza package: pip install ja-ginza") from exc
    root = Path(ja_ginza.__file__).parent
    found = sorted(root.glob("ja_ginza-*/vocab/vectors"))
    if not found:
        raise ModelError(f"no word vectors inside {root}; reinstall ja-ginza")
    return found[-1].parent


def read_chive(vocab_dir: Path) -> tuple[dict[str, int], np.ndarray]:
    """Word → row and the vector table, from spaCy's on-disk vocabulary files."""
    import srsly
    from spacy.strings import hash_string  # type: ignore[attr-defined]  # strings.pyi omits this .pyx function

    vectors = np.load(vocab_dir / "vectors", allow_pickle=False)
    key2row = srsly.read_msgpack(vocab_dir / "key2row")
    words = srsly.read_json(vocab_dir / "strings.json")
    vocab = {word: int(row) for word in words if (row := key2row.get(hash_string(word))) is not None}
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vocab, (vectors / np.maximum(norms, 1e-9)).astype(np.float32)


def build_chive_model(target: Path) -> Path:
    """Write the model directory at `target` (atomically) unless it is already there."""
    if (target / "modules.json").exists():
        return target
    vocab, vectors = read_chive(ginza_vocab_dir())
    try:
        write_word_vector_model(vocab, vectors, target)
    except OSError:
        if not (target / "modules.json").exists():
            raise
    return target


def write_word_vector_model(vocab: dict[str, int], vectors: np.ndarray, target: Path,
                            extra: dict[str, bytes] | None = None) -> Path:
    """Save word vectors as a sentence-transformers directory (our module, then Normalize) at `target`,
    written under a temporary name and renamed, so no reader sees half a model; `extra` files go in with
    it."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize

    from indexer.wordvectors import SudachiWordVectors

    model = SentenceTransformer(modules=[SudachiWordVectors(vocab, vectors), Normalize()], device="cpu")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        model.save(str(staging))
        for name, content in (extra or {}).items():
            (staging / name).write_bytes(content)
        os.replace(staging, target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
