"""English question words → the city's Japanese words, through JMdict (the `jamdict-data` package).

Only the words the city's entries use matter, so the dictionary is read once per loaded index, in one
query for those words' English glosses, and turned around: gloss word → city word, weighted by how much of
a gloss the question covers (「certificate of residence」 fully covered by 「residence certificate」 gives
住民票 more weight than 「certificate」 alone gives 証明書). Nothing is loaded for Japanese questions.
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

STOPWORDS = frozenset(
    ["a", "an", "the", "of", "to", "in", "on", "at", "for", "from", "by", "with", "and", "or", "but", "is",
     "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "i", "me", "my", "we", "our",
     "you", "your", "he", "she", "it", "its", "they", "them", "their", "this", "that", "these", "those",
     "what", "which", "who", "whom", "how", "when", "where", "why", "can", "could", "should", "would", "will",
     "shall", "may", "might", "must", "have", "has", "had", "get", "got", "not", "no", "yes", "if", "so",
     "as", "about", "into", "than", "then", "there", "here", "please", "want", "need", "know", "tell", "like",
     "just", "also", "any", "some", "one's", "sb", "sth", "etc", "e", "g", "eg", "e.g", "up", "out", "now",
     "keep", "still", "already", "again", "very", "much", "many", "thing", "something", "anything", "way"])
PHRASES = (("my number", "mynumber"), ("my-number", "mynumber"), ("e-mail", "email"))
_WORD = re.compile(r"[a-z0-9]+")
_PARENTHESES = re.compile(r"\([^)]*\)")
_CHUNK = 500
LATER_SENSE = 0.8  # a word's first sense is its usual one


def stem(word: str) -> str:
    """A light plural/-ing stemmer, the same for questions and glosses (taxes → tax, batteries → battery)."""
    for suffix, replacement in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)] + replacement
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def english_words(text: str) -> list[str]:
    """Content words of English text, lower-cased and stemmed."""
    lowered = text.lower()
    for phrase, joined in PHRASES:
        lowered = lowered.replace(phrase, joined)
    return [stem(w) for w in _WORD.findall(lowered) if w not in STOPWORDS and not w.isdigit()]


@dataclass(slots=True)
class Glossary:
    """English word → {city word: weight of each gloss it appears in}, for the city's vocabulary."""

    glosses: dict[str, list[tuple[str, tuple[str, ...], float]]] = field(default_factory=dict)

    @classmethod
    def of(cls, city_words: Iterable[str], database: Path | None = None) -> Glossary:
        """Read the glosses of the city's words from JMdict in a few batched queries."""
        words = sorted(set(city_words))
        rows = _gloss_rows(database or _jmdict_path(), words)
        index: dict[str, list[tuple[str, tuple[str, ...], float]]] = defaultdict(list)
        for word, sense_rank, text in rows:
            tokens = tuple(english_words(_PARENTHESES.sub(" ", text)))
            if not tokens or len(tokens) > 4:
                continue
            weight = LATER_SENSE if sense_rank else 1.0
            for token in set(tokens):
                index[token].append((word, tokens, weight))
        return cls(dict(index))

    @property
    def vocabulary(self) -> frozenset[str]:
        """Every English word some gloss of a city word uses."""
        return frozenset(self.glosses)

    def translate(self, text: str, uses: Mapping[str, int], per_word: int = 2) -> list[str]:
        """The city's words for an English question: for each question word, the `per_word` best by matched
        gloss words × share of the gloss covered, then by how many of the city's entries use them (of 図書館,
        図書 and 書庫 for "library", the one the city writes)."""
        asked = set(english_words(text))
        chosen: dict[str, float] = {}
        for token in sorted(asked):
            scored: dict[str, float] = {}
            for word, tokens, weight in self.glosses.get(token, ()):
                matched = sum(t in asked for t in set(tokens))
                scored[word] = max(scored.get(word, 0.0), weight * matched * matched / len(set(tokens)))
            for word in sorted(scored, key=lambda w: (-scored[w], -uses.get(w, 0), w))[:per_word]:
                chosen[word] = max(chosen.get(word, 0.0), scored[word])
        return sorted(chosen, key=lambda w: (-chosen[w], -uses.get(w, 0), w))


def _jmdict_path() -> Path:
    import jamdict_data

    return Path(jamdict_data.__file__).with_name("jamdict.db")


def _gloss_rows(database: Path, words: list[str]) -> list[tuple[str, int, str]]:
    """(city word, 0 for the entry's first sense else 1, English gloss) for words written as JMdict writes
    them."""
    found: list[tuple[str, int, int, str]] = []
    with sqlite3.connect(f"file:{database}?mode=ro&immutable=1", uri=True) as connection:
        for start in range(0, len(words), _CHUNK):
            chunk = words[start:start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for table in ("Kanji", "Kana"):
                found.extend(connection.execute(
                    f"SELECT w.text, s.idseq, s.ID, g.text FROM {table} w JOIN Sense s ON s.idseq = w.idseq "
                    f"JOIN SenseGloss g ON g.sid = s.ID WHERE w.text IN ({marks})", chunk).fetchall())
    first: dict[int, int] = {}
    for _, entry, sense, _ in found:
        first[entry] = min(first.get(entry, sense), sense)
    return [(word, int(sense != first[entry]), gloss) for word, entry, sense, gloss in found]
