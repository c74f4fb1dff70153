"""The answering pipeline: normalise → retrieve → fuse → calibrate → decide → compose.

`Bot.answer()` is the one entry point every channel calls. Each stage is a small method with one
job; the learned parts (fusion weights, confidence models, thresholds) come from a DecisionModel.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from bot import compose, honesty
from bot.urgent import Situation, UrgentSituations
from bot.answer import NONE_OF_THESE, Answer, Candidate, Decision, Explanation, Session
from bot.features import candidate_features, query_features, shortlist
from bot.intents import Intent, recognise
from bot.multilingual.answering import ForeignAnswerer
from bot.multilingual.detect import detect_language
from bot.model import DEFAULT_MODEL_FILE, DecisionModel, Thresholds
from indexer.index import KnowledgeIndex
from indexer.normalise import NormalisedText
from indexer.runtime import Runtime, load_runtime, load_version
from indexer.search import SIGNALS, Retrieval
from knowledge.core.errors import ConfigurationError, IndexStoreError
from knowledge.languages import JAPANESE
from knowledge.records import Audience, Record
from knowledge.core.settings import Settings

if TYPE_CHECKING:
    from bot.drafting.grounded import GroundedComposer

EXPLAIN_TOP = 5
log = logging.getLogger("madoguchi.bot")


def decision_model(settings: Settings, index: KnowledgeIndex) -> DecisionModel:
    """MADOGUCHI_DECISION_MODEL when set; else the model `madoguchi learn` stored in the served index
    version; else the shipped one. A stored model this madoguchi cannot read is logged, not fatal."""
    if settings.decision_model:
        return DecisionModel.load(settings.decision_model)
    if index.learned.model is not None:
        try:
            return DecisionModel.from_json(index.learned.model, f"of index version {index.manifest.get('version')}")
        except ConfigurationError as exc:
            log.warning("%s; answering with the shipped model", exc)
    return DecisionModel.load(DEFAULT_MODEL_FILE)


@dataclass(frozen=True, slots=True)
class RecordFacts:
    """What ranking asks of every record on every query, as arrays built once per loaded index."""

    is_passage: np.ndarray
    is_staff: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    dated: bool

    @classmethod
    def of(cls, records: list[Record]) -> "RecordFacts":
        """Open validity ends become the widest possible days, so one comparison covers every record."""
        first = [r.valid_from.toordinal() if r.valid_from else 0 for r in records]
        last = [r.valid_until.toordinal() if r.valid_until else date.max.toordinal() for r in records]
        return cls(np.array([r.kind == "passage" for r in records], dtype=bool),
                   np.array([r.audience is Audience.STAFF for r in records], dtype=bool),
                   np.array(first, dtype=np.int64), np.array(last, dtype=np.int64),
                   any(r.valid_from or r.valid_until for r in records))

    def valid_only(self, retrieval: Retrieval, today: date | None = None) -> Retrieval:
        """Drop candidates outside their validity dates (Record.is_valid_on), all at once, without a loop; a city
        whose records all have open dates keeps every candidate without a look."""
        if not self.dated:
            return retrieval
        day = (today or date.today()).toordinal()
        keep = (self.first_day[retrieval.candidates] <= day) & (day <= self.last_day[retrieval.candidates])
        return retrieval if keep.all() else retrieval.subset(np.flatnonzero(keep))


@dataclass(frozen=True, slots=True)
class Ranking:
    """Candidates best first, with the two confidences of the query."""

    retrieval: Retrieval
    order: np.ndarray
    fused: np.ndarray
    top1: float
    top3: float


def grounded_composer(settings: Settings, runtime: Runtime) -> GroundedComposer | None:
    """The optional passage composer (MADOGUCHI_GROUNDED_ANSWERS); LangChain is imported only if it is on."""
    if not settings.grounded_answers:
        return None
    from bot.drafting.grounded import GroundedComposer

    return GroundedComposer.from_settings(settings, runtime.normaliser)


class Bot:
    """Holds the loaded runtime and decision model; cheap to call, expensive to construct once."""

    def __init__(self, runtime: Runtime, model: DecisionModel,
                 grounded: GroundedComposer | None = None) -> None:
        self.runtime, self.model, self.settings, self.grounded = runtime, model, runtime.settings, grounded
        self._facts = RecordFacts.of(runtime.index.records)
        self._paraphrase_owners = runtime.index.unit_record[runtime.index.field_units("paraphrase")]
        self._refused: str | None = None
        self.urgent = UrgentSituations.from_settings(self.settings)
        self._foreign: ForeignAnswerer | None = None

    def foreign(self) -> "ForeignAnswerer":
        """The answerer for questions in other languages, built at the first one (never for Japanese)."""
        if self._foreign is None or self._foreign.runtime is not self.runtime:  # a new index version: rebuild
            self._foreign = ForeignAnswerer(self)
        return self._foreign

    @classmethod
    def from_settings(cls, settings: Settings) -> "Bot":
        """Load model, index and decision model named by the settings."""
        from bot.store.index_versions import index_store

        runtime = load_runtime(settings, index_store(settings), fall_back=True)
        return cls(runtime, decision_model(settings, runtime.index), grounded_composer(settings, runtime))

    def reload_if_changed(self, swap_lock: AbstractContextManager[Any] = nullcontext()) -> str | None:
        """Serve the index version the pointer names now, without a restart; None if it is already served.

        The version is loaded and checked beside the serving one and swapped in under `swap_lock` (the
        lock answers run under), so no answer sees parts of two versions; the version's learned decision
        model comes with it. A version that cannot serve raises IndexStoreError once and is not tried
        again; the loaded one keeps serving."""
        version = self.runtime.store.current_version()
        if version in (self.runtime.index.manifest["version"], self._refused):
            return None
        try:
            runtime = load_version(self.runtime, version, swap_lock)
            fresh = Bot(runtime, decision_model(self.settings, runtime.index))
        except IndexStoreError:
            self._refused = version
            raise
        with swap_lock:
            self.runtime, self._facts, self.model = fresh.runtime, fresh._facts, fresh.model
            self._paraphrase_owners = fresh._paraphrase_owners
        return version

    def fuse(self, retrieval: Retrieval, audience: Audience) -> tuple[Retrieval, np.ndarray, np.ndarray]:
        """The shortlisted candidates with their fused scores and features.

        Staff see staff records first among near ties."""
        rows = shortlist(retrieval.signals)
        features = candidate_features(retrieval.signals, self._facts.is_passage[retrieval.candidates], rows)
        kept = retrieval.subset(rows)
        fused = self.model.ranker.logit(features) if len(features) else np.zeros(0)
        if audience is Audience.STAFF:
            fused = fused + self.settings.staff_first_margin * self._facts.is_staff[kept.candidates]
        return kept, fused, features

    def rank(self, text: str, audience: Audience, today: date | None = None) -> Ranking:
        """Retrieve, fuse and calibrate: everything but the decision."""
        retrieval = self._facts.valid_only(self.runtime.retriever.run(text, audience), today)
        kept, fused, features = self.fuse(retrieval, audience)
        order = np.argsort(-fused, kind="stable")
        best = features[order[:1]]  # query_features reads only the top candidate's row
        row = query_features(fused[order], best, len(kept.query.terms))[None, :]
        if not len(order):
            return Ranking(kept, order, fused, 0.0, 0.0)
        factor = self.honest_factor(kept.query, int(kept.candidates[order[0]]))
        return Ranking(kept, order, fused, factor * float(self.model.top1.probability(row)[0]),
                       factor * float(self.model.top3.probability(row)[0]))

    def honest_factor(self, query: NormalisedText, top: int) -> float:
        """bot/honesty.py: less confidence when the question names a rare thing of the city, or a thing no entry
        names whose nearest city words the top entry does not use either, or asks for a number the entry does
        not state."""
        index, pages = self.runtime.index, self.runtime.index.lexical["answer"]
        nouns = honesty.nouns(query.text, query.terms)
        lacks = honesty.absent_rare(nouns, pages, top, index.lexical["paraphrase"], self._paraphrase_owners)
        if not lacks:
            near = index.neighbours.unknown([n for n in nouns if n not in pages.vocabulary],
                                            self.runtime.embedder.encode_queries)
            lacks = honesty.absent_unknown(near, pages, top, index.lexical["paraphrase"], self._paraphrase_owners)
        return honesty.discount(query.text, index.records[top], bool(lacks))

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
        records, retrieval, shown = self.runtime.index.records, ranking.retrieval, ranking.order[:limit]
        return tuple(Candidate(records[retrieval.candidates[i]], float(ranking.fused[i]), dict(zip(SIGNALS, row)))
                     for i, row in zip(shown, retrieval.signals[shown].tolist()))

    def explain(self, ranking: Ranking, candidates: tuple[Candidate, ...]) -> Explanation:
        """Terms, synonyms, and per-candidate scores before and after fusion."""
        rows = tuple({"id": c.record.id, "question": c.record.question, "fused": c.score,
                      "best_field": max(SIGNALS[3:6], key=lambda s: c.signals[s]).removeprefix("dense_"),
                      **c.signals} for c in candidates[:EXPLAIN_TOP])
        query = ranking.retrieval.query
        return Explanation(query.terms, query.synonyms, rows, ranking.top1, ranking.top3)

    def say(self, record: Record, question: str) -> tuple[Record, str]:
        """The approved text verbatim; only a manual passage may be composed, and only when configured."""
        if self.grounded is None:
            return record, compose.answer_text(record)
        return self.grounded.run(question, record)

    def compose(self, decision: Decision, ranking: Ranking, top_k: int) -> Answer:
        """Words and structure for the decision."""
        shown = self.candidates(ranking, max(top_k, self.settings.max_choices))
        common = dict(intent=Intent.QUESTION, candidates=shown[:top_k], explanation=self.explain(ranking, shown))
        if decision is Decision.ANSWER:
            record, message = self.say(shown[0].record, ranking.retrieval.query.text)
            return Answer(decision, confidence=ranking.top1, message=message, record=record, **common)
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
        if picked.isdigit() and not 1 <= int(picked) <= len(offered):
            return self._offer_again(session.offered, audience)
        if picked.isdigit():
            picked = offered[int(picked) - 1]
        if picked not in offered:
            return None
        session.offered = ()
        if picked == NONE_OF_THESE:
            return self.foreign().none_fit(session.language) if session.language != JAPANESE else Answer(
                Decision.ESCALATE, Intent.QUESTION, 0.0, compose.escalate_text(self.settings, True),
                reason="none of the offered choices fit")
        record = self.runtime.index.record(picked)
        if record is None or not record.audience.visible_to(audience):
            return None
        if session.language != JAPANESE:
            return self.foreign().picked(record, session.language)
        record, message = self.say(record, compose.choice_label(record))
        return Answer(Decision.ANSWER, Intent.QUESTION, 1.0, message, record=record)

    def _offer_again(self, offered: tuple[str, ...], audience: Audience) -> Answer | None:
        """A number past the last choice: the same choices again, not a search for 「5」."""
        records = [r for r in map(self.runtime.index.record, offered) if r is not None and r.audience.visible_to(audience)]
        if not records:
            return None
        choices = compose.clarify_choices(records)
        return Answer(Decision.CLARIFY, Intent.QUESTION, 0.0, compose.offer_again_text(choices), choices=choices,
                      reason="a number past the last choice")

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
        situation = self.urgent.run(query)  # before the search: the line to call never waits behind choices
        language = detect_language(query)
        if language != JAPANESE:
            reply = self.foreign().run(query, language, audience, channel, session, today)
            return reply if situation is None else urgent_first(situation, reply)
        reply = self._reply(query, audience, channel, top_k, today)
        reply = reply if situation is None else urgent_first(situation, reply)
        session.offered = tuple(c.id for c in reply.choices if c.id != NONE_OF_THESE)
        return reply

    def _reply(self, query: str, audience: Audience, channel: str, top_k: int, today: date | None) -> Answer:
        """A courtesy without the index, or a ranked answer, choices or hand-over."""
        intent = recognise(query)
        if intent is not Intent.QUESTION:
            return self._courtesy(intent)
        ranking = self.rank(query, audience, today)
        return self.compose(self.decide(ranking, channel), ranking, top_k)


def urgent_first(situation: Situation, reply: Answer) -> Answer:
    """The public line to call comes first; an entry the bot would answer with follows. Choices, a hand-over
    to the call centre (weekday hours) or a courtesy are replaced by the notice alone: it is the answer."""
    if reply.decision is Decision.ANSWER and situation.then_faq:
        return replace(reply, message=f"{situation.text}\n\n{reply.message}", urgent=situation)
    return Answer(Decision.ANSWER, Intent.QUESTION, 1.0, situation.text, urgent=situation,
                  reason=f"urgent situation {situation.id}", candidates=reply.candidates,
                  explanation=reply.explanation)
