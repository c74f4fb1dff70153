"""Search in the language the resident wrote in: each language's translated questions and answers, tokenised
as its script needs, with its own BM25.

Latin scripts split into words (English stemmed; Vietnamese, whose words are syllables, also gets word
pairs; accents are dropped, since residents often type without them), Chinese into character pairs and
single characters, Korean into syllable pairs inside each word (particles stick to Korean words).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from bot.multilingual.glossary import english_words
from indexer.bm25 import BM25Index
from knowledge.records import Record

_LATIN_WORD = re.compile(r"[a-z0-9]+")
_HAN_RUN = re.compile(r"[\u3400-\u9fff]+")
_HANGUL_WORD = re.compile(r"[\uac00-\ud7a3]+")
PORTUGUESE_STOPWORDS = frozenset(["o", "a", "os", "as", "um", "uma", "de", "do", "da", "dos", "das", "em",
                                  "no", "na", "nos", "nas", "por", "para", "com", "que", "e", "é", "eu",
                                  "meu", "minha", "se", "como", "onde", "qual", "quando", "quero", "preciso",
                                  "posso", "faço", "fazer", "ao"])
VIETNAMESE_STOPWORDS = frozenset(["toi", "la", "co", "the", "thi", "can", "de", "cua", "va", "o", "nhu",
                                  "nao", "the", "khi", "gi", "duoc", "minh", "muon", "lam", "ban", "khong",
                                  "a"])
PAGE_WEIGHT = 0.5  # a match in the answer counts for less than one in the question


def plain_latin(text: str) -> str:
    """Lower case without accents (đ → d too), as residents type on any keyboard."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str, language: str) -> list[str]:
    """Search terms of a text in one language."""
    if language == "en":
        return english_words(text)
    if language == "zh-Hans":
        runs = _HAN_RUN.findall(unicodedata.normalize("NFKC", text))
        return [*(r[i:i + 2] for r in runs for i in range(len(r) - 1)), *(c for r in runs for c in r)]
    if language == "ko":
        words = _HANGUL_WORD.findall(text)
        return [*(w[i:i + 2] for w in words for i in range(len(w) - 1)), *(w for w in words if len(w) <= 2)]
    words = _LATIN_WORD.findall(plain_latin(text))
    if language == "vi":
        content = [w for w in words if w not in VIETNAMESE_STOPWORDS]
        return [*content, *(f"{a}_{b}" for a, b in pairwise(words))]
    return [w.rstrip("s") if len(w) > 4 else w for w in words if w not in PORTUGUESE_STOPWORDS]


@dataclass(frozen=True, slots=True)
class LanguageIndex:
    """One language's BM25 over the translated questions and over question + answer, by record position."""

    language: str
    positions: np.ndarray
    questions: BM25Index
    pages: BM25Index

    @classmethod
    def of(cls, records: list[Record], language: str) -> LanguageIndex | None:
        """None when no entry is translated into the language."""
        rows = [(i, t) for i, r in enumerate(records) for t in r.translations if t[0] == language]
        if not rows:
            return None
        questions = BM25Index().fit([tokens(t[1], language) for _, t in rows])
        pages = BM25Index().fit([tokens(f"{t[1]}\n{t[2]}", language) for _, t in rows])
        return cls(language, np.array([i for i, _ in rows], dtype=np.int64), questions, pages)

    def scores(self, text: str, size: int) -> np.ndarray:
        """A score for every record (0 for those not translated into the language)."""
        terms = tokens(text, self.language)
        total = np.zeros(size, dtype=np.float32)
        total[self.positions] = self.questions.scores(terms) + PAGE_WEIGHT * self.pages.scores(terms)
        return total
