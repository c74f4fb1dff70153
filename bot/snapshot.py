"""One served index version and everything computed from it: what a single answer reads from start to end.

A `Snapshot` is never changed after it is built. The bot swaps a whole new one in (one reference, replaced
at once) when another version is published, and an answer or a ranking keeps the snapshot it started with,
so nobody needs a lock to avoid seeing parts of two versions: a `Ranking` carries its own snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from bot import honesty
from bot.answer import Candidate, Decision, Explanation
from bot.features import candidate_features, query_features, read_by, shortlist
from bot.fusion import fused_scores, is_day_one, offered_places, recall_tail
from bot.model import DecisionModel, Thresholds
from indexer.normalise import NormalisedText
from indexer.runtime import Runtime
from indexer.search import SIGNALS, Retrieval
from indexer.signals import DENSE
from knowledge.records import Audience, Record

if TYPE_CHECKING:
    from bot.multilingual.answering import ForeignAnswerer
    from indexer.bm25 import BM25Index

EXPLAIN_TOP = 5
EXACT_LEAD = 1.0  # in fused score, over the best other candidate


@dataclass(frozen=True, slots=True)
class RecordFacts:
    """What ranking asks of every record on every query, as arrays built once per loaded index."""

    is_passage: np.ndarray
    is_staff: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    dated: bool
    page_words: np.ndarray  # distinct words of each record's question + answer (bot/fusion.py `brief`)

    @classmethod
    def of(cls, records: list[Record], pages: BM25Index) -> RecordFacts:
        """Open validity ends become the widest possible days, so one comparison covers every record. `pages`
        is the question + answer field, one document per record: its postings count each record's words."""
        first = [r.valid_from.toordinal() if r.valid_from else 0 for r in records]
        last = [r.valid_until.toordinal() if r.valid_until else date.max.toordinal() for r in records]
        return cls(np.array([r.kind == "passage" for r in records], dtype=bool),
                   np.array([r.audience is Audience.STAFF for r in records], dtype=bool),
                   np.array(first, dtype=np.int64), np.array(last, dtype=np.int64),
                   any(r.valid_from or r.valid_until for r in records),
                   np.bincount(pages.matrix.indices, minlength=len(records)))

    def words_beyond(self, candidates: np.ndarray, query: NormalisedText) -> np.ndarray:
        """How many more words each candidate's question + answer holds than the question asked."""
        return self.page_words[candidates] - len(query.terms)

    def valid_only(self, retrieval: Retrieval, today: date | None = None) -> Retrieval:
        """Drop candidates outside their validity dates (Record.is_valid_on), all at once, without a loop; a
        city whose records all have open dates keeps every candidate without a look."""
        if not self.dated:
            return retrieval
        day = (today or date.today()).toordinal()
        keep = (self.first_day[retrieval.candidates] <= day) & (day <= self.last_day[retrieval.candidates])
        return retrieval if keep.all() else retrieval.subset(np.flatnonzero(keep))


@dataclass(frozen=True, slots=True)
class Ranking:
    """Candidates best first, with the two confidences of the query, and the snapshot they index into."""

    retrieval: Retrieval
    order: np.ndarray
    fused: np.ndarray
    top1: float
    top3: float
    snapshot: Snapshot

    def offered(self, most: int) -> int:
        """How many of the first `most` places a clarify turn offers (bot/fusion.py `offered_places`)."""
        return offered_places(self.fused[self.order[:most]], self.snapshot.day_one)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One index version with its decision model and the arrays ranking reads; immutable once built."""

    runtime: Runtime
    model: DecisionModel
    facts: RecordFacts
    paraphrase_owners: np.ndarray
    reads: np.ndarray  # the candidate features the model reads (bot/features.py `read_by`)
    day_one: bool  # the model ranks by the day-one sum (bot/fusion.py `is_day_one`)
    foreign_answerer: list[ForeignAnswerer] = field(default_factory=list, compare=False)

    @classmethod
    def of(cls, runtime: Runtime, model: DecisionModel) -> Snapshot:
        """The arrays are computed here, before the snapshot is ever served."""
        index = runtime.index
        owners = index.unit_record[index.field_units("paraphrase")]
        facts = RecordFacts.of(index.records, index.lexical["answer"])
        day_one = is_day_one(model.ranker)
        return cls(runtime, model, facts, owners, read_by(model.ranker.weights, ranks=day_one), day_one)

    def foreign(self) -> ForeignAnswerer:
        """The answerer for questions in other languages over this version, built at the first one (never for
        Japanese); two first questions at once may both build it, and one of the equal results is kept."""
        if not self.foreign_answerer:
            from bot.multilingual.answering import ForeignAnswerer

            self.foreign_answerer.append(ForeignAnswerer(self))
        return self.foreign_answerer[0]

    def fuse(self, retrieval: Retrieval, audience: Audience) -> tuple[Retrieval, np.ndarray, np.ndarray]:
        """The shortlisted candidates with their fused scores and features. Staff see staff records first
        among near ties."""
        rows = shortlist(retrieval.signals)
        features = candidate_features(retrieval.signals, self.facts.is_passage[retrieval.candidates], rows,
                                      self.reads)
        kept = retrieval.subset(rows)
        fused = (fused_scores(self.model.ranker, features, self.day_one,
                              self.facts.words_beyond(kept.candidates, kept.query))
                 if len(features) else np.zeros(0))
        if audience is Audience.STAFF:
            fused = fused + self.runtime.settings.staff_first_margin * self.facts.is_staff[kept.candidates]
        return kept, fused, features

    def _exact_first(self, kept: Retrieval, fused: np.ndarray, typed: str) -> np.ndarray:
        """The entry whose own question or paraphrase the resident typed word for word (as typed, or as search
        reads kana typing) leads by EXACT_LEAD (indexer/exact.py), when it is among the candidates (visible to
        them, in force)."""
        owner = self.runtime.retriever.exact(typed, kept.query)
        at = np.flatnonzero(kept.candidates == owner) if owner is not None else np.zeros(0, dtype=np.int64)
        if not len(at) or not len(fused):
            return fused
        fused = fused.copy()
        fused[at[0]] = float(fused.max()) + EXACT_LEAD
        return fused

    def rank(self, text: str, audience: Audience, today: date | None = None) -> Ranking:
        """Retrieve, fuse and calibrate: everything but the decision."""
        retrieval = self.facts.valid_only(self.runtime.retriever.run(text, audience), today)
        kept, fused, features = self.fuse(retrieval, audience)
        fused = self._exact_first(kept, fused, text)
        order = np.argsort(-fused, kind="stable")
        best = features[order[:1]]  # query_features reads only the top candidate's row
        row = query_features(fused[order], best, len(kept.query.terms))[None, :]
        if not len(order):
            return Ranking(kept, order, fused, 0.0, 0.0, self)
        factor = self.honest_factor(kept.query, int(kept.candidates[order[0]]))
        order = recall_tail(order, fused, features) if self.day_one else order
        return Ranking(kept, order, fused, factor * float(self.model.top1.probability(row)[0]),
                       factor * float(self.model.top3.probability(row)[0]), self)

    def honest_factor(self, query: NormalisedText, top: int) -> float:
        """bot/honesty.py: less confidence when the question names a rare thing of the city, or a thing no
        entry names whose nearest city words the top entry does not use either, or asks for a number the
        entry does not state."""
        index = self.runtime.index
        entry = honesty.EntryText(index.lexical["answer"], top, index.lexical["paraphrase"],
                                  self.paraphrase_owners)
        nouns = honesty.unsaid_in_synonyms(honesty.nouns(query.text, query.terms), query.synonyms, entry)
        lacks = honesty.absent_rare(nouns, entry)
        if not lacks:
            unknown = [n for n in nouns if n not in entry.pages.vocabulary and not entry.says(n)]
            near = index.neighbours.unknown(unknown, self.runtime.embedder.encode_queries)
            lacks = honesty.absent_unknown(near, entry)
        return honesty.discount(query.text, index.records[top], bool(lacks))

    def thresholds(self, channel: str) -> Thresholds:
        """Model defaults, then global settings, then the channel's own overrides."""
        base, settings = self.model.thresholds, self.runtime.settings
        answer, clarify = settings.answer_threshold, settings.clarify_threshold
        merged = {"answer": answer if answer is not None else base.answer,
                  "clarify": clarify if clarify is not None else base.clarify}
        merged.update(settings.channel_thresholds.get(channel, {}))
        return Thresholds(**merged)

    def decide(self, ranking: Ranking, channel: str) -> Decision:
        """answer, clarify or escalate by the channel's thresholds."""
        limits = self.thresholds(channel)
        if len(ranking.order) and ranking.top1 >= limits.answer:
            return Decision.ANSWER
        if len(ranking.order) >= 2 and ranking.top3 >= limits.clarify:
            return Decision.CLARIFY
        return Decision.ESCALATE


def candidates(ranking: Ranking, limit: int) -> tuple[Candidate, ...]:
    """The best `limit` candidates as records with scores, from the version the ranking was made on."""
    records, retrieval = ranking.snapshot.runtime.index.records, ranking.retrieval
    shown = ranking.order[:limit]
    return tuple(Candidate(records[retrieval.candidates[i]], float(ranking.fused[i]),
                           dict(zip(SIGNALS, row, strict=True)))
                 for i, row in zip(shown, retrieval.signals[shown].tolist(), strict=True))


def explain(ranking: Ranking, shown: tuple[Candidate, ...]) -> Explanation:
    """Terms, synonyms, and per-candidate scores before and after fusion."""
    rows = tuple({"id": c.record.id, "question": c.record.question, "fused": c.score,
                  "best_field": max(DENSE, key=lambda s: c.signals[s.key]).key.removeprefix("dense_"),
                  **c.signals} for c in shown[:EXPLAIN_TOP])
    query = ranking.retrieval.query
    return Explanation(query.terms, query.synonyms, rows, ranking.top1, ranking.top3)
