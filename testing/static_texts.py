"""What a static model is checked on, and the reference it is checked against: sentence-transformers
itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sentence_transformers import SentenceTransformer

from bot.labelled import read_labelled
from knowledge.core.settings import PACKAGE_DIR
from knowledge.sources import load_sources

ODD = ["", "？？？", "住民票", "転入", "ｓｏｆａを捨てたい", "a" * 5000, "住民票\n印鑑登録\n\nマイナンバー",
       "ＡＢＣ　ｘｙｚ １２３", "🐈‍⬛と🍣"]


def thousand_texts() -> list[str]:
    """What a model meets: residents' questions, the city's questions, paraphrases and answer lines, odd
    input."""
    texts = ODD + [q.text for q in read_labelled(PACKAGE_DIR / "samples" / "labelled" / "minato.jsonl")]
    for record in load_sources([PACKAGE_DIR / "samples" / "minato"]).records:
        texts += [record.question, *record.paraphrases, *record.answer.splitlines()]
    unique = list(dict.fromkeys(t for t in texts))
    assert len(unique) >= 1000
    return unique[:1000]


def reference(folder: Path, texts: list[str], prompt: str | None = None) -> np.ndarray:
    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True, trust_remote_code=True)
    return model.encode(texts, prompt=prompt, normalize_embeddings=True, convert_to_numpy=True)
