"""The answering pipeline: normalise → retrieve → fuse → calibrate → decide → compose.

`Bot.answer()` is the one entry point the city calls for every channel. Ranking runs on one immutable
`Snapshot` (bot/snapshot.py) per answer; the learned parts (fusion weights, confidence models,
thresholds) come from the snapshot's DecisionModel.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from bot import compose
from bot.answer import NONE_OF_THESE, Answer, Candidate, Decision, Reason, Session
from bot.intents import Intent, a_number_alone, asked_with_a_person, recognise
from bot.model import DecisionModel, Thresholds, serving_model
from bot.multilingual.detect import detect_language
from bot.snapshot import Ranking, Snapshot, candidates, explain
from bot.urgent import Situation, UrgentSituations
from indexer.index import KnowledgeIndex
from indexer.runtime import Runtime, load_runtime, load_version
from knowledge.core.errors import IndexStoreError
from knowledge.core.settings import Settings
from knowledge.languages import JAPANESE
from knowledge.records import Audience, Record

if TYPE_CHECKING:
    from bot.drafting.grounded import GroundedComposer
    from indexer.embedding import ModelEmbedder
    from indexer.normalise import TextNormaliser

log = logging.getLogger("madoguchi.bot")
__all__ = ["Bot", "decision_model", "grounded_composer", "urgent_first"]


def decision_model(settings: Settings, index: KnowledgeIndex) -> DecisionModel:
    """The model that answers over the served index version (bot/model.py, `serving_model`)."""
    return serving_model(settings, index.learned.model, str(index.manifest.get("version")), index.records)[0]


def grounded_composer(settings: Settings, runtime: Runtime) -> GroundedComposer | None:
    """The optional passage composer (MADOGUCHI_GROUNDED_ANSWERS); LangChain is imported only if it is on."""
    if not settings.grounded_answers:
        return None
    from bot.drafting.grounded import GroundedComposer

    return GroundedComposer.from_settings(settings, runtime.normaliser)


class Bot:
    """Holds the served snapshot (an index version and its decision model); cheap to call, costly to build.

    Its public surface: `from_settings`, `answer`, `reload_if_changed`, `snapshot` (with `runtime` and
    `model` of it), and the ranking steps other tools reuse (`rank`, `decide`, `candidates`, `thresholds`)."""

    def __init__(self, runtime: Runtime, model: DecisionModel,
                 grounded: GroundedComposer | None = None) -> None:
        self.settings, self.grounded = runtime.settings, grounded
        self.snapshot = Snapshot.of(runtime, model)
        self._refused: str | None = None
        self.urgent = UrgentSituations.from_settings(self.settings,
                                                     runtime.index.manifest.get("built_from", ()))

    @property
    def runtime(self) -> Runtime:
        """The served version's loaded parts (read once per use: a reload may replace them between reads)."""
        return self.snapshot.runtime

    @property
    def model(self) -> DecisionModel:
        """The served version's decision model."""
        return self.snapshot.model

    @classmethod
    def from_settings(cls, settings: Settings, normaliser: TextNormaliser | None = None,
                      embedder: ModelEmbedder | None = None) -> Bot:
        """Load model, index and decision model named by the settings; a server of many cities passes the
        normaliser and embedder they share."""
        from bot.store.index_versions import index_store

        runtime = load_runtime(settings, index_store(settings), True, normaliser, embedder)
        return cls(runtime, decision_model(settings, runtime.index), grounded_composer(settings, runtime))

    def reload_if_changed(self) -> str | None:
        """Serve the index version the pointer names now, without a restart; None if it is already served.

        The version is loaded and checked beside the serving one, then its snapshot replaces the served one in
        a single assignment: an answer already running finishes on the snapshot it started with, so none sees
        parts of two versions. The version's learned decision model comes with it. A version that cannot serve
        raises IndexStoreError once and is not tried again; the loaded one keeps serving."""
        served = self.snapshot.runtime
        version = served.store.current_version()
        if version in (served.index.manifest["version"], self._refused):
            return None
        try:
            runtime = load_version(served, version)
            fresh = Snapshot.of(runtime, decision_model(self.settings, runtime.index))
        except IndexStoreError:
            self._refused = version
            raise
        self.snapshot = fresh
        return version

    def rank(self, text: str, audience: Audience, today: date | None = None) -> Ranking:
        """Retrieve, fuse and calibrate on the served version; the ranking keeps that version."""
        return self.snapshot.rank(text, audience, today)

    def thresholds(self, channel: str) -> Thresholds:
        """Model defaults, then global settings, then the channel's own overrides."""
        return self.snapshot.thresholds(channel)

    def decide(self, ranking: Ranking, channel: str) -> Decision:
        """answer, clarify or escalate by the channel's thresholds (of the ranking's version)."""
        return ranking.snapshot.decide(ranking, channel)

    def candidates(self, ranking: Ranking, limit: int) -> tuple[Candidate, ...]:
        """The best `limit` candidates as records with scores."""
        return candidates(ranking, limit)

    def _say(self, record: Record, question: str) -> tuple[Record, str]:
        """The approved text verbatim; only a manual passage may be composed, and only when configured."""
        if self.grounded is None:
            return record, compose.answer_text(record)
        return self.grounded.run(question, record)

    def _compose(self, decision: Decision, ranking: Ranking, top_k: int) -> Answer:
        """Words and structure for the decision."""
        shown = candidates(ranking, max(top_k, self.settings.max_choices))
        common: dict[str, Any] = {"intent": Intent.QUESTION, "candidates": shown[:top_k],
                                  "explanation": explain(ranking, shown)}
        if decision is Decision.ANSWER:
            record, message = self._say(shown[0].record, ranking.retrieval.query.text)
            return Answer(decision, confidence=ranking.top1, message=message, record=record, **common)
        if decision is Decision.CLARIFY:
            offered = shown[: ranking.offered(self.settings.max_choices)]
            choices = compose.clarify_choices([c.record for c in offered])
            return Answer(decision, confidence=ranking.top3, message=compose.clarify_text(choices),
                          choices=choices, **common)
        return Answer(decision, confidence=ranking.top1, message=compose.escalate_text(self.settings, False),
                      reason=Reason.NO_MATCH, **common)

    def _choice(self, text: str, session: Session, audience: Audience, served: Snapshot) -> Answer | None:
        """A reply to offered choices: a number, an id, or 「どれにも当てはまらない」."""
        picked = text.strip()
        offered = (*session.offered, NONE_OF_THESE)
        if picked.isdigit() and not 1 <= int(picked) <= len(offered):
            return self._offer_again(session, audience, served)
        if picked.isdigit():
            picked = offered[int(picked) - 1]
        if picked not in offered:
            return None
        if picked == NONE_OF_THESE:
            return served.foreign().none_fit(session.language) if session.language != JAPANESE else Answer(
                Decision.ESCALATE, Intent.QUESTION, 0.0, compose.escalate_text(self.settings, True),
                reason=Reason.NONE_FIT)
        record = served.runtime.index.record(picked)
        if record is None or not record.audience.visible_to(audience):
            return None
        if session.language != JAPANESE:
            return served.foreign().picked(record, session.language)
        record, message = self._say(record, compose.choice_label(record))
        return Answer(Decision.ANSWER, Intent.QUESTION, 1.0, message, record=record)

    def _offer_again(self, session: Session, audience: Audience, served: Snapshot) -> Answer | None:
        """A number past the last choice: the same choices again (in the language they were offered in), not
        a search for 「5」."""
        index = served.runtime.index
        records = [r for r in map(index.record, session.offered)
                   if r is not None and r.audience.visible_to(audience)]
        if not records:
            return None
        if session.language != JAPANESE:
            return replace(served.foreign().offer(records, session.language), reason=Reason.PAST_LAST_CHOICE)
        choices = compose.clarify_choices(records)
        return Answer(Decision.CLARIFY, Intent.QUESTION, 0.0, compose.offer_again_text(choices),
                      choices=choices, reason=Reason.PAST_LAST_CHOICE)

    def _courtesy(self, intent: Intent) -> Answer:
        if intent is Intent.HUMAN:
            return Answer(Decision.ESCALATE, intent, 1.0, compose.escalate_text(self.settings, True),
                          reason=Reason.ASKED_FOR_PERSON)
        text = compose.greeting_text(self.settings) if intent is Intent.GREETING else compose.THANKS_TEXT
        return Answer(Decision.SMALLTALK, intent, 1.0, text)

    def answer(self, query: str, audience: Audience = Audience.RESIDENT, channel: str = "default",
               session: Session | None = None, top_k: int = 10, today: date | None = None) -> Answer:
        """The one entry point: what to say to `query` from this audience on this channel. The whole answer
        reads one snapshot; `session` is only read (the next turn's is `session.after(reply)`)."""
        session, served = session if session is not None else Session(), self.snapshot
        chosen = self._choice(query, session, audience, served) if session.offered else None
        if chosen is not None:
            return chosen
        situation = self.urgent.run(query)  # before the search: the line to call never waits behind choices
        language = detect_language(query)
        if language != JAPANESE:
            reply = served.foreign().run(query, language, audience, channel, today, top_k)
        else:
            reply = self._reply(query, audience, channel, top_k, today, served)
        return reply if situation is None else urgent_first(situation.in_language(language), reply)

    def _reply(self, query: str, audience: Audience, channel: str, top_k: int, today: date | None,
               served: Snapshot) -> Answer:
        """A courtesy without the index, or a ranked answer, choices or hand-over."""
        intent = recognise(query)
        if intent is Intent.HUMAN and (asked := asked_with_a_person(query)):
            return self._hand_over(served.rank(asked, audience, today), top_k)
        if intent is not Intent.QUESTION:
            return self._courtesy(intent)
        if a_number_alone(query):
            return Answer(Decision.SMALLTALK, intent, 1.0, compose.NUMBER_ALONE_TEXT)
        ranking = served.rank(query, audience, today)
        return self._compose(served.decide(ranking, channel), ranking, top_k)

    def _hand_over(self, ranking: Ranking, top_k: int) -> Answer:
        """A person, as asked, for a question that says more than the request: searched all the same, so the
        desk gets the entries it is about and their department, and the turn is the resident's question."""
        shown = candidates(ranking, top_k)
        return Answer(Decision.ESCALATE, Intent.QUESTION, ranking.top1,
                      compose.escalate_text(self.settings, True), candidates=shown,
                      explanation=explain(ranking, shown), reason=Reason.ASKED_FOR_PERSON)


def urgent_first(situation: Situation, reply: Answer) -> Answer:
    """The public line to call comes first; an entry the bot would answer with follows. Choices, a hand-over
    to the call centre (weekday hours) or a courtesy are replaced by the notice alone: it is the answer."""
    if reply.decision is Decision.ANSWER and situation.then_faq:
        return replace(reply, message=f"{situation.text}\n\n{reply.message}", urgent=situation)
    return Answer(Decision.ANSWER, Intent.QUESTION, 1.0, situation.text, urgent=situation,
                  reason=Reason.URGENT, candidates=reply.candidates, explanation=reply.explanation,
                  language=reply.language, answer_language=situation.language)
