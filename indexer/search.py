"""Raw retrieval: every field's lexical and dense score for the records a query touches.

This is the part of answering that needs only the index. It returns per-record signals; how they
are fused into one confidence is the answering engine's job (bot/), and `madoguchi search` shows
them raw with a simple reciprocal-rank fusion.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from indexer.dense import APPROXIMATE_ABOVE
from indexer.embedding import Embedder
from indexer.exact import ExactWording
from indexer.expansion import char_bigrams, weighted_scores
from indexer.index import BIGRAM, FIELDS, LEXICAL, READING, KnowledgeIndex, city_wording
from indexer.kana import as_hiragana
from indexer.normalise import NormalisedText, TextNormaliser, plain_question
from indexer.polarity import DEMOTED, asked_words, cannot_units
from indexer.signals import BM25, DENSE, RANKED, SIGNALS, Signal, columns
from knowledge.records import Audience, Record

WORD_RUN = (Signal.BM25_READING, Signal.BM25X_QUESTION, Signal.BM25X_ANSWER)  # with BM25: the word signals
DENSE_CANDIDATES = 400
EXACT_DENSE_LIMIT = APPROXIMATE_ABOVE  # below it every unit is scored exactly, so no graph is built
RRF_K = 60


@dataclass(frozen=True, slots=True)
class Hit:
    """One record with the score of every signal (0 where a signal did not reach it)."""

    record: Record
    signals: dict[str, float]
    score: float
    matched_terms: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Retrieval:
    """The normalised query, a signal matrix over candidate records, and the records' positions."""

    query: NormalisedText
    candidates: np.ndarray
    signals: np.ndarray  # (candidates × signals), stored signal by signal: columns are contiguous

    def subset(self, rows: np.ndarray) -> Retrieval:
        """The candidates at these positions, keeping the column-by-column layout features read fastest."""
        return Retrieval(self.query, self.candidates[rows], np.take(self.signals.T, rows, axis=1).T)


class OwnerMax:
    """Per-record maximum of per-unit scores, for one field's units.

    Units are stored record by record, so each record's units are one run: the maximum of each run is one
    `reduceat`, a field with one unit per record needs no reduction, and a field that every record has is
    written as one slice. Scores are never negative and every table cell is written by one field only, so
    writing into a zeroed table row gives what `np.maximum.at` gives, in a fraction of the time (which
    remains the way for units out of record order).
    """

    def __init__(self, owners: np.ndarray) -> None:
        self._owners = owners
        self._in_order = not len(owners) or bool((np.diff(owners) >= 0).all())
        starts = np.flatnonzero(np.diff(owners,
                                        prepend=-1)) if self._in_order else np.zeros(0, dtype=np.int64)
        self._records = owners[starts]
        self._starts = None if len(starts) == len(owners) else starts
        contiguous = len(self._records) and self._records[-1] - self._records[0] + 1 == len(self._records)
        self._target = slice(int(self._records[0]),
                             int(self._records[-1]) + 1) if contiguous else self._records
        self.direct = bool(contiguous) and self._starts is None and self._in_order

    def into(self, row: np.ndarray) -> np.ndarray:
        """With `direct` (every record of the field has exactly one unit, in order and without a gap), the
        row's cells that `write` would copy the unit scores to one to one: scores can be added up there in
        place."""
        return row[self._target]

    def fill(self, row: np.ndarray, score: Callable[[np.ndarray | None], np.ndarray]) -> None:
        """row[record] = the largest of that record's unit scores, as `score(out)` gives them (into `out`, or
        into a new array when it is None)."""
        if self.direct:
            score(self.into(row))
        else:
            self.write(row, score(None))

    def write(self, row: np.ndarray, scores: np.ndarray) -> None:
        """row[record] = the largest score among that record's units."""
        if not self._in_order:
            np.maximum.at(row, self._owners, scores)
        elif len(self._records):
            row[self._target] = scores if self._starts is None else np.maximum.reduceat(scores, self._starts)


class Retriever:
    """Cheap to build around an already-loaded index, normaliser and embedder.

    The signal table is kept signal by signal (one contiguous row per signal over all records), since it is
    filled and read a signal at a time; candidates receive it as a (candidates × signals) view.
    """

    def __init__(self, index: KnowledgeIndex, normaliser: TextNormaliser, embedder: Embedder) -> None:
        self.index, self.normaliser, self.embedder = index, normaliser, embedder
        self.kana = index.kana  # read at build time and stored in the version (indexer/kana.py)
        self._resident_sees = np.array([r.audience is not Audience.STAFF for r in index.records], dtype=bool)
        self._resident_sees.flags.writeable = False
        self._lexical_max = {f: OwnerMax(index.unit_record[index.field_units(f)]) for f in LEXICAL}
        self._dense_units = [_as_slice(index.field_units(f)) for f in FIELDS]
        self._dense_max = [OwnerMax(index.unit_record[index.field_units(f)]) for f in FIELDS]
        rows, columns = index.unit_record.astype(np.int64), np.array(DENSE, dtype=np.int64)[index.unit_field]
        # each unit's dense cell in the flattened table
        self._dense_cells = columns * len(index.records) + rows
        asks = np.flatnonzero(index.unit_field <= FIELDS.index("paraphrase"))
        texts = list(city_wording(index.records, index.learned))
        self._cannot_units = cannot_units(((int(u), texts[u]) for u in asks), normaliser.morphs, self._keys)
        self._exact = ExactWording((texts[u], int(index.unit_record[u])) for u in asks)

    def exact(self, typed: str, query: NormalisedText) -> int | None:
        """The record whose question or paraphrase reads exactly as the question typed (「てんしゅつとどけ」
        is a paraphrase as typed, before search reads it as 転出届), or as search reads it
        (indexer/exact.py)."""
        found = self._exact.owner(plain_question(typed))
        return found if found is not None else self._exact.owner(query.text)

    def visible(self, audience: Audience) -> np.ndarray:
        """Mask of the records this audience may ever see."""
        if audience is Audience.STAFF:
            return np.ones(len(self._resident_sees), dtype=bool)
        return self._resident_sees

    def _keys(self, word: str) -> set[str]:
        return {word, *(group for group, _ in self.normaliser.synonyms.expand([word]))}

    def _cannot(self, query: NormalisedText) -> dict[str, np.ndarray]:
        """Per field ("dense": every unit), each unit's weight for this question: lower for a question or
        paraphrase that says the question's own aim cannot be done (indexer/polarity.py); {} for none."""
        if not self._cannot_units or not query.text:
            return {}
        asked = asked_words(query.text, self.normaliser.morphs(query.text), query.terms, self._keys)
        demoted = [unit for unit, words in self._cannot_units if words & asked]
        if not demoted:
            return {}
        weights = np.ones(len(self.index.unit_field), dtype=np.float32)
        weights[demoted] = DEMOTED
        return {"dense": weights} | {field: weights[self.index.field_units(field)]
                                     for field in ("question", "paraphrase", READING)}

    def _lexical(self, terms: list[str], table: np.ndarray, cannot: dict[str, np.ndarray]) -> None:
        for name in FIELDS:
            if not self.index.lexical[name].size:
                continue  # no unit of this field (a city without paraphrases): nothing to score
            owners, bm25, cover = (self._lexical_max[name], table[Signal.of("bm25", name)],
                                   table[Signal.of("cover", name)])
            weights = cannot.get(name)
            if owners.direct:
                scores, coverage = owners.into(bm25), owners.into(cover)
                self.index.lexical[name].scores_and_coverage(terms, (scores, coverage))
            else:
                scores, coverage = self.index.lexical[name].scores_and_coverage(terms)
            if weights is not None:
                scores *= weights
                coverage *= weights
            if not owners.direct:
                owners.write(bm25, scores)
                owners.write(cover, coverage)

    def _reading(self, text: str, table: np.ndarray, cannot: dict[str, np.ndarray]) -> None:
        grams = self.normaliser.reading_grams(text)
        self._lexical_max[READING].fill(table[Signal.BM25_READING],
                                        _weighed(partial(self.index.lexical[READING].scores, grams),
                                                 cannot.get(READING)))

    def _expanded(self, terms: list[str], text: str, table: np.ndarray,
                  cannot: dict[str, np.ndarray]) -> None:
        """BM25 of the query with each word's nearest city words added, and character-bigram BM25."""
        pages = self.index.lexical["answer"].vocabulary
        unknown = self.index.neighbours.unknown([t for t in terms if t not in pages],
                                                self.embedder.encode_queries)
        weights = self.index.neighbours.weights(terms, unknown)
        for name in ("question", "answer"):
            self._lexical_max[name].fill(table[Signal.of("bm25x", name)],
                                         _weighed(partial(weighted_scores, self.index.lexical[name], weights),
                                                  cannot.get(name)))
        bigrams = partial(self.index.lexical[BIGRAM].scores, char_bigrams(text))
        self._lexical_max[BIGRAM].fill(table[Signal.BM25_BIGRAM], bigrams)

    def _dense(self, text: str, table: np.ndarray, cannot: dict[str, np.ndarray]) -> None:
        vector = self.embedder.encode_queries([text])
        if self.index.dense.size <= EXACT_DENSE_LIMIT:
            scores = self.index.dense.all_scores(vector)
            np.maximum(scores, np.float32(0), out=scores)
            if "dense" in cannot:
                scores *= cannot["dense"]
            for signal, units, owners in zip(DENSE, self._dense_units, self._dense_max, strict=True):
                owners.write(table[signal], scores[units])
            return
        top, found = self.index.dense.search(vector, DENSE_CANDIDATES)
        units = found[0][found[0] >= 0]
        scores = np.maximum(top[0][found[0] >= 0], 0.0)
        if "dense" in cannot:
            scores *= cannot["dense"][units]
        np.maximum.at(table.reshape(-1), self._dense_cells[units], scores)

    def run(self, text: str, audience: Audience) -> Retrieval:
        """Signals for every record the query reached that the audience may see; a kana-only question is
        read in the city's words first (indexer/kana.py)."""
        query = self.read(text)
        table = np.zeros((len(SIGNALS), len(self.index.records)), dtype=np.float32)
        cannot = self._cannot(query)
        self._lexical(query.search_terms, table, cannot)
        if query.text:
            self._reading(query.text, table, cannot)
            self._expanded(query.search_terms, query.text, table, cannot)
            self._dense(query.text, table, cannot)
        lexical = self._reached_by_words(table)  # bigrams alone (ます, して) reach nearly every entry
        dense_best = table[DENSE[0]: DENSE[-1] + 1].max(axis=0)
        reached = np.flatnonzero(self.visible(audience) & (lexical | self._near(dense_best)))
        return Retrieval(query, reached, np.take(table, reached, axis=1).T)

    def read(self, text: str) -> NormalisedText:
        """The question as search reads it: kana-only typing in the city's words (indexer/kana.py). One typed
        wholly in katakana is read as typed and as if typed in hiragana, and the reading with the larger share
        of its words in the city's entries is kept: ｼﾞｭｳﾐﾝﾋｮｳﾉｳﾂｼｶﾞﾎｼｲ as 住民票の写しがほしい, while a loanword
        (スマホ, タクシー), which hiragana would break into other words, stays as typed."""
        text = self.kana.respell(plain_question(text))
        query = self.normaliser.run(self.kana.rewrite(text))
        typed = as_hiragana(text)
        if typed is None:
            return query
        spoken = self.normaliser.run(self.kana.rewrite(typed))
        return spoken if self._known(spoken) > self._known(query) else query

    def _known(self, query: NormalisedText) -> float:
        """The share of the query's words that some entry's question or answer uses."""
        vocabulary = self.index.lexical["answer"].vocabulary
        return sum(term in vocabulary for term in query.terms) / len(query.terms) if query.terms else 0.0

    @staticmethod
    def _reached_by_words(table: np.ndarray) -> np.ndarray:
        """Records with a positive score in any word signal. The word signals are two runs of neighbouring
        rows, and the largest of non-negative scores is positive exactly when one of them is: two views, no
        copy."""
        reached = table[columns(BM25)].max(axis=0) > 0
        reached |= table[columns(WORD_RUN)].max(axis=0) > 0
        return reached

    @staticmethod
    def _near(dense_best: np.ndarray) -> np.ndarray:
        """Records among the DENSE_CANDIDATES best by their best dense score (ties included)."""
        if not len(dense_best):
            return np.zeros(0, dtype=bool)
        keep = min(DENSE_CANDIDATES, len(dense_best))
        return dense_best >= np.partition(dense_best, len(dense_best) - keep)[len(dense_best) - keep]


def _weighed(score: Callable[[np.ndarray | None], np.ndarray],
             weights: np.ndarray | None) -> Callable[[np.ndarray | None], np.ndarray]:
    """`score`, each unit's value then multiplied by its weight (in place, into `out` when given)."""
    if weights is None:
        return score

    def weighed(out: np.ndarray | None) -> np.ndarray:
        values = score(out)
        values *= weights
        return values
    return weighed


def _as_slice(units: np.ndarray) -> np.ndarray | slice:
    """Unit numbers that run without a gap as a slice: reading them is then a view, not a copy."""
    if len(units) and units[-1] - units[0] + 1 == len(units):
        return slice(int(units[0]), int(units[-1]) + 1)
    return units


def reciprocal_rank_fusion(signals: np.ndarray) -> np.ndarray:
    """Σ 1/(60 + rank) over signals, for an unweighted first look at the ranking."""
    ranked = signals[:, list(RANKED)]
    ranks = (-ranked).argsort(axis=0).argsort(axis=0) + 1
    return np.where(ranked > 0, 1.0 / (RRF_K + ranks), 0.0).sum(axis=1)


def raw_search(retriever: Retriever, text: str, audience: Audience, top_k: int = 10) -> list[Hit]:
    """The `madoguchi search` view: candidates ranked by reciprocal-rank fusion."""
    retrieval = retriever.run(text, audience)
    fused = reciprocal_rank_fusion(retrieval.signals)
    order = np.argsort(-fused, kind="stable")[:top_k]
    terms = tuple(retrieval.query.terms)
    return [Hit(retriever.index.records[retrieval.candidates[i]],
                dict(zip(SIGNALS, map(float, retrieval.signals[i]), strict=True)), float(fused[i]), terms)
            for i in order]
