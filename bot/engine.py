"""The answering pipeline: normalise → retrieve → fuse → calibrate → decide → compose.

`Bot.answer()` is the one entry point every channel calls. Each stage is a small method with one
job; the learned parts (fusion weights, confidence models, thresholds) come from a DecisionModel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from bot import compose
from bot.answer import NONE_OF_THESE, Answer, Candidate, Decision, Explanation, Session
from bot.features import candidate_features, query_features
from bot.intents import Intent, recognise
from bot.model import DEFAULT_MODEL_FILE, DecisionModel, Thresholds
from indexer.runtime import Runtime, load_runtime
from indexer.search import SIGNALS, Retrieval
from knowledge.records import Audience, Record
from knowledge.settings import Settings

EXPLAIN_TOP = 5


def valid_only(retrieval: Retrieval, records: list[Record], today: date | None = None) -> Retrieval:
    """Drop candidates outside their validity dates: an expired entry is never answered or offered."""
    day = today or date.today()
    keep = np.array([records[i].is_valid_on(day) for i in retrieval.candidates], dtype=bool)
    return Retrieval(retrieval.query, retrieval.candidates[keep], retrieval.signals[keep])


@dataclass(frozen=True, slots=True)
class Ranking:
    """Candidates best first, with the two confidences of the query."""

    retrieval: Retrieval
    order: np.ndarray
    fused: np.ndarray
    top1: float
    top3: float


class Bot:
    """Holds the loaded runtime and decision model; cheap to call, expensive to construct once."""

    def __init__(self, runtime: Runtime, model: DecisionModel) -> None:
        self.runtime, self.model, self.settings = runtime, model, runtime.settings
        records = runtime.index.records
        self._is_passage = np.array([r.kind == "passage" for r in records])
        self._is_staff = np.array([r.audience is Audience.STAFF for r in records])

    @classmethod
    def from_settings(cls, settings: Settings) -> "Bot":
        """Load model, index and decision model named by the settings."""
        return cls(load_runtime(settings), DecisionModel.load(settings.decision_model or DEFAULT_MODEL_FILE))

    def fuse(self, retrieval: Retrieval, audience: Audience) -> tuple[np.ndarray, np.ndarray]:
        """Fused scores and candidate features; staff see staff records first among near ties."""
        features = candidate_features(retrieval.signals, self._is_passage[retrieval.candidates])
        fused = self.model.ranker.logit(features) if len(features) else np.zeros(0)
        if audience is Audience.STAFF:
            fused = fused + self.settings.staff_first_margin * self._is_staff[retrieval.candidates]
        return fused, features

    def rank(self, text: str, audience: Audience, today: date | None = None) -> Ranking:
        """Retrieve, fuse and calibrate: everything but the decision."""
        retrieval = valid_only(self.runtime.retriever.run(text, audience), self.runtime.index.records, today)
        fused, features = self.fuse(retrieval, audience)
        order = np.argsort(-fused, kind="stable")
        row = query_features(fused[order], features[order], len(retrieval.query.terms))[None, :]
        if not len(order):
            return Ranking(retrieval, order, fused, 0.0, 0.0)
        return Ranking(retrieval, order, fused, float(self.model.top1.probability(row)[0]),
                       float(self.model.top3.probability(row)[0]))

    def thresholds(self, channel: str) -> Thresholds:
        """Model defaults, then global settings, then the channel's own overrides."""
        base = self.model.thresholds
        merged = {"answer": self.settings.answer_threshold if self.settings.answer_threshold is not None
                  else base.answer,
                  "clarify": self.settings.clarify_threshold if self.settings.clarify_threshold is not None
                  else base.clarify}
        merged.update(self.settings.channel_thresholds.get(channel, {}))
        return Thresholds(**merged)

    def decide(self, ranking: Ranking, channel: str) -> Decision:
        """answer, clarify or escalate by the channel's thresholds."""
        limits = self.thresholds(channel)
        if len(ranking.order) and ranking.top1 >= limits.answer:
            return Decision.ANSWER
        if len(ranking.order) >= 2 and ranking.top3 >= limits.clarify:
            return Decision.CLARIFY
        return Decision.ESCALATE

    def candidates(self, ranking: Ranking, limit: int) -> tuple[Candidate, ...]:
        """The best `limit` candidates as records with scores."""
        records, retrieval = self.runtime.index.records, ranking.retrieval
        return tuple(Candidate(records[retrieval.candidates[i]], float(ranking.fused[i]),
                               dict(zip(SIGNALS, map(float, retrieval.signals[i])))) for i in ranking.order[:limit])

    def explain(self, ranking: Ranking, candidates: tuple[Candidate, ...]) -> Explanation:
        """Terms, synonyms, and per-candidate scores before and after fusion."""
        rows = tuple({"id": c.record.id, "question": c.record.question, "fused": c.score,
                      "best_field": max(SIGNALS[3:6], key=lambda s: c.signals[s]).removeprefix("dense_"),
                      **c.signals} for c in candidates[:EXPLAIN_TOP])
        query = ranking.retrieval.query
        return Explanation(query.terms, query.synonyms, rows, ranking.top1, ranking.top3)

    def compose(self, decision: Decision, ranking: Ranking, top_k: int) -> Answer:
        """Words and structure for the decision."""
        shown = self.candidates(ranking, max(top_k, self.settings.max_choices))
        common = dict(intent=Intent.QUESTION, candidates=shown[:top_k], explanation=self.explain(ranking, shown))
        if decision is Decision.ANSWER:
            return Answer(decision, confidence=ranking.top1, message=compose.answer_text(shown[0].record),
                          record=shown[0].record, **common)
        if decision is Decision.CLARIFY:
            choices = compose.clarify_choices([c.record for c in shown[: self.settings.max_choices]])
            return Answer(decision, confidence=ranking.top3, message=compose.clarify_text(choices),
                          choices=choices, **common)
        return Answer(decision, confidence=ranking.top1, message=compose.escalate_text(self.settings, False),
                      reason="no entry matched with enough confidence", **common)

    def _choice(self, text: str, session: Session, audience: Audience) -> Answer | None:
        """A reply to offered choices: a number, an id, or 「どれにも当てはまらない」."""
        picked = text.strip()
        offered = (*session.offered, NONE_OF_THESE)
        if picked.isdigit() and 1 <= int(picked) <= len(offered):
            picked = offered[int(picked) - 1]
        if picked not in offered:
            return None
        session.offered = ()
        if picked == NONE_OF_THESE:
            return Answer(Decision.ESCALATE, Intent.QUESTION, 0.0, compose.escalate_text(self.settings, True),
                          reason="none of the offered choices fit")
        record = self.runtime.index.record(picked)
        if record is None or not record.audience.visible_to(audience):
            return None
        return Answer(Decision.ANSWER, Intent.QUESTION, 1.0, compose.answer_text(record), record=record)

    def _courtesy(self, intent: Intent) -> Answer:
        if intent is Intent.HUMAN:
            return Answer(Decision.ESCALATE, intent, 1.0, compose.escalate_text(self.settings, True),
                          reason="asked for a person")
        text = compose.greeting_text(self.settings) if intent is Intent.GREETING else compose.THANKS_TEXT
        return Answer(Decision.SMALLTALK, intent, 1.0, text)

    def answer(self, query: str, audience: Audience = Audience.RESIDENT, channel: str = "default",
               session: Session | None = None, top_k: int = 10, today: date | None = None) -> Answer:
        """The one entry point: what to say to `query` from this audience on this channel."""
        session = session if session is not None else Session()
        chosen = self._choice(query, session, audience) if session.offered else None
        if chosen is not None:
            return chosen
        intent = recognise(query)
        if intent is not Intent.QUESTION:
            return self._courtesy(intent)
        ranking = self.rank(query, audience, today)
        reply = self.compose(self.decide(ranking, channel), ranking, top_k)
        session.offered = tuple(c.id for c in reply.choices if c.id != NONE_OF_THESE)
        return reply
