"""Answering a question written in English, Chinese, Korean, Vietnamese or Portuguese.

Two searches meet: the language's own fields (bot/multilingual/fields.py) and the Japanese entries through the
question's words in Japanese (romaji read as Japanese, English through JMdict), run through the usual
Japanese ranking. The bot answers only when both agree (or the Japanese side alone is sure); otherwise it
offers the best few in the resident's language, so a foreign question is rarely answered wrongly.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from bot.answer import NONE_OF_THESE, Answer, Candidate, Choice, Decision, Reason
from bot.fusion import offered_places
from bot.intents import Intent, recognise
from bot.multilingual import texts
from bot.multilingual.fields import LanguageIndex, tokens
from bot.multilingual.glossary import Glossary
from bot.multilingual.romaji import RomajiReader
from knowledge.languages import LANGUAGES
from knowledge.records import Audience, Record

if TYPE_CHECKING:
    from bot.snapshot import Ranking, Snapshot

HAN_RUN = re.compile(r"[\u3400-\u9fff]+")
_ROMAJI_WORD = re.compile(r"[A-Za-zāīūēōÂâÔôÛû']+")
GLOSSARY_TERMS = 8  # the dictionary's best city words that make the Japanese query
AGREEMENT_SHARE = 0.55  # own-language and Japanese scores weigh 0.55 : 0.45
SURE_ALONE = 0.85  # the Japanese side's P(top 1 right) above which it answers without the other side
OWN_MARGIN = 0.75  # own-language runner-up at most this share of the best, when both sides agree
OWN_ALONE = 0.5  # … and when the Japanese side found nothing or is unsure
TRUSTED = 0.3  # the Japanese side's P(top 1 right) from which it counts fully (below it, in proportion)
TOP = 3  # candidates kept when the caller asks for no number
COURTESIES = {Intent.GREETING: "greeting", Intent.THANKS: "thanks"}  # said in any words bot/intents.py knows
FEW_PAGES = 10  # with fewer translated entries, no word is common to most of them by more than chance


@dataclass(frozen=True, slots=True)
class Scored:
    """Every record's combined score, which record each side ranked first (-1: that side found nothing), and
    whether the own-language first's answer repeats a word of the question."""

    scores: np.ndarray
    own_best: int
    own_margin: float
    japanese_best: int
    japanese_sure: float
    own_echoed: bool


class ForeignAnswerer:
    """Built lazily by a snapshot at its first non-Japanese question, over that snapshot's index version;
    the glossary only for English."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot, self.runtime, self.settings = snapshot, snapshot.runtime, snapshot.runtime.settings
        records = self.runtime.index.records
        self.indexes = {code: LanguageIndex.of(records, code) for code in LANGUAGES}
        self.romaji = RomajiReader(self.runtime.retriever.kana.words)
        pages = self.runtime.index.lexical["answer"]
        self.uses = {word: int(pages.matrix.indptr[column + 1] - pages.matrix.indptr[column])
                     for word, column in pages.vocabulary.items()}  # how many entries use each word
        self._glossary: Glossary | None = None
        self._lock = threading.Lock()

    def glossary(self) -> Glossary:
        """JMdict glosses of the city's words, read once (a fraction of a second) on first use."""
        with self._lock:
            if self._glossary is None:
                index = self.runtime.index
                words = {*index.lexical["answer"].vocabulary, *self.runtime.retriever.kana.words.values()}
                self._glossary = Glossary.of(words)
            return self._glossary

    def japanese_query(self, text: str, language: str) -> str:
        """The question's Japanese words: romaji read as Japanese, and for English the dictionary's best
        words."""
        words = _ROMAJI_WORD.findall(text)
        english = self.glossary().vocabulary if language == "en" else frozenset()
        read = self.romaji.read(words, english)
        found = [word for _, _, word in read]
        if language == "zh-Hans":
            # 住民票, 国民健康保险: Chinese writes many of the counter's words alike
            found += HAN_RUN.findall(text)
        if language == "en":
            typed = {i for start, end, _ in read for i in range(start, end)}
            rest = " ".join(w for i, w in enumerate(words) if i not in typed)
            found += self.glossary().translate(rest, self.uses)[:GLOSSARY_TERMS]
        return " ".join(dict.fromkeys(found))

    def score(self, text: str, language: str, ranking: Ranking | None) -> Scored:
        """Own-language BM25 (as a share of the best) and the Japanese ranking (as a share of its best)."""
        size = len(self.runtime.index.records)
        own = self.indexes.get(language)
        raw = own.scores(text, size) if own else np.zeros(size, dtype=np.float32)
        best = float(raw.max()) if len(raw) else 0.0
        own_share = raw / best if best > 0 else raw
        japanese = np.zeros(size, dtype=np.float32)
        japanese_best, sure = -1, 0.0
        if ranking is not None and len(ranking.order):
            fused = ranking.fused - ranking.fused.max()
            japanese_best, sure = int(ranking.retrieval.candidates[ranking.order[0]]), ranking.top1
            # an unsure side counts less
            japanese[ranking.retrieval.candidates] = np.exp(fused) * min(1.0, sure / TRUSTED)
        runner_up = float(np.sort(own_share)[-2]) if best > 0 and size > 1 else 1.0
        weight = AGREEMENT_SHARE if best > 0 else 0.0
        if own is not None:  # an entry nobody translated is judged by the Japanese side alone, not sunk by it
            untranslated = np.ones(size, dtype=bool)
            untranslated[own.positions] = False
            own_share = np.where(untranslated, japanese, own_share)
        own_best = int(raw.argmax()) if best > 0 else -1
        return Scored(weight * own_share + (1 - weight) * japanese, own_best, runner_up, japanese_best, sure,
                      self.answer_echoes(text, language, own_best))

    def answer_echoes(self, text: str, language: str, position: int) -> bool:
        """Whether the entry's translated answer uses a word of the question (longer than one character): a
        translated question can match on its wording alone (「我想知道…」「…알고 싶어요」 of the collection
        days entry), which says nothing of the topic, while an answer about the topic repeats its words."""
        translated = self.runtime.index.records[position].translated(language) if position >= 0 else None
        if translated is None:
            return False
        asked = {term for term in tokens(text, language)
                 if len(term) > 1 and not self._common(term, language)}
        return not asked.isdisjoint(tokens(translated[1], language))

    def _common(self, term: str, language: str) -> bool:
        """A term in more than half of the language's translated entries says nothing of a topic: the
        polite ending 습니다 (syllable pairs 습니, 니다) is in nearly every Korean answer."""
        index = self.indexes[language]
        if index is None:
            return False
        pages = index.pages
        column = pages.vocabulary.get(term)
        return column is not None and pages.size >= FEW_PAGES and \
            2 * int(pages.matrix.indptr[column + 1] - pages.matrix.indptr[column]) > pages.size

    def run(self, text: str, language: str, audience: Audience, channel: str, today: date | None,
            top_k: int = TOP) -> Answer:
        """What to say, in `language`, to a question written in it; the best `top_k` entries are its
        candidates (what the desk shows an agent when the question is handed over)."""
        said = texts.courtesy(language, text) or COURTESIES.get(recognise(text))
        if said == "human":
            handed = texts.escalate_text(language, self.settings, True)
            return Answer(Decision.ESCALATE, Intent.HUMAN, 1.0, handed,
                          reason=Reason.ASKED_FOR_PERSON, language=language, answer_language=language)
        if said is not None:
            return self._courtesy(language, said)
        query = self.japanese_query(text, language)
        ranking = self.snapshot.rank(query, audience, today) if query else None
        scored = self.score(text, language, ranking)
        order = self._order(scored.scores, audience, today, max(top_k, self.settings.max_choices))
        records = [self.runtime.index.records[i] for i in order]
        candidates = tuple(Candidate(record, float(scored.scores[i]), {})
                           for record, i in zip(records[:top_k], order[:top_k], strict=True))
        decision = self.decide(scored, order)
        reply = self.compose(decision, records[:self.offered(scored.scores, order)], language, scored)
        return replace(reply, candidates=candidates)

    def _order(self, scores: np.ndarray, audience: Audience, today: date | None, most: int) -> list[int]:
        """The best `most` entries this audience may read today, by combined score (above 0)."""
        visible = self._visible(scores, audience, today)
        return [i for i in np.argsort(-scores, kind="stable") if visible[i] and scores[i] > 0][:most]

    def offered(self, scores: np.ndarray, order: list[int]) -> int:
        """How many of the first places a clarify turn offers: at most `max_choices`, each while it scored at
        least 0.55 of the first, as under the day-one sum (bot/fusion.py `offered_places`)."""
        return offered_places(scores[order[:self.settings.max_choices]], day_one=True)

    def _visible(self, scores: np.ndarray, audience: Audience, today: date | None) -> np.ndarray:
        day = today or date.today()
        records = self.runtime.index.records
        return np.array([r.audience.visible_to(audience) and r.is_valid_on(day) for r in records], dtype=bool)

    def decide(self, scored: Scored, order: list[int]) -> Decision:
        """Answer when both sides put the same entry first and the own-language side is clear about it, when
        the own-language side is very clear, its entry's answer repeats a word of the question and the
        Japanese side does not disagree with any confidence, or when the Japanese side alone is sure; offer
        choices when anything was found; else hand to a person."""
        if not order:
            return Decision.ESCALATE
        top = order[0]
        agreed = top == scored.own_best == scored.japanese_best and scored.own_margin <= OWN_MARGIN
        own_clear = top == scored.own_best and scored.own_margin <= OWN_ALONE and scored.own_echoed and (
            scored.japanese_best in (-1, top) or scored.japanese_sure < TRUSTED)
        alone = scored.own_best < 0 and top == scored.japanese_best and scored.japanese_sure >= SURE_ALONE
        if agreed or own_clear or alone:
            return Decision.ANSWER
        return Decision.CLARIFY if len(order) >= 2 else Decision.ESCALATE

    def compose(self, decision: Decision, records: list[Record], language: str, scored: Scored) -> Answer:
        """The entry in the resident's language where the table has it, else in Japanese under one line;
        `records` are the entries a clarify turn offers."""
        confidence = float(scored.scores.max()) if len(scored.scores) else 0.0
        if decision is Decision.ANSWER:
            record = records[0]
            return replace(self.picked(record, language), confidence=confidence)
        if decision is Decision.CLARIFY:
            return replace(self.offer(records, language), confidence=confidence)
        handed = texts.escalate_text(language, self.settings, False)
        return Answer(decision, Intent.QUESTION, confidence, handed,
                      reason=Reason.NO_MATCH, language=language, answer_language=language)

    def offer(self, records: list[Record], language: str) -> Answer:
        """The entries as numbered choices, with 「none of these」, asked in the resident's language (also
        again after a number past the last one)."""
        choices = (*(Choice(r.id, label(r, language)) for r in records),
                   Choice(NONE_OF_THESE, texts.text(language, "none")))
        prompt = texts.text(language, "clarify" if len(records) > 1 else "clarify_one")
        lines = [prompt, *(f"{n}. {c.label}" for n, c in enumerate(choices, 1))]
        return Answer(Decision.CLARIFY, Intent.QUESTION, 0.0, "\n".join(lines), choices=choices,
                      language=language, answer_language=language)

    def picked(self, record: Record, language: str) -> Answer:
        """A choice the resident picked, answered in their language."""
        message, notice = entry_text(record, language, self.settings.multilingual_help)
        return Answer(Decision.ANSWER, Intent.QUESTION, 1.0, message, record=record, language=language,
                      answer_language="ja" if notice else language, notice=notice)

    def none_fit(self, language: str) -> Answer:
        """「None of these」: to a person, said in the resident's language."""
        handed = texts.escalate_text(language, self.settings, True)
        return Answer(Decision.ESCALATE, Intent.QUESTION, 0.0, handed,
                      reason=Reason.NONE_FIT, language=language, answer_language=language)

    def _courtesy(self, language: str, said: str) -> Answer:
        intent = Intent.GREETING if said == "greeting" else Intent.THANKS
        message = texts.text(language, said, city=self.settings.city_name)
        return Answer(Decision.SMALLTALK, intent, 1.0, message, language=language, answer_language=language)


def label(record: Record, language: str) -> str:
    """A choice's label: the translated question, else the Japanese one."""
    translated = record.translated(language) or next(((q, a) for c, q, a in record.translations
                                                      if c == language and q), None)
    return translated[0] if translated else record.question


def entry_text(record: Record, language: str, help_desk: str) -> tuple[str, str]:
    """(message, notice): the translation with contact and link labelled in the language; or the Japanese
    answer under a notice, one line saying so and where to get help in the language (furigana may be put
    over such an answer: `answer_language` says it is Japanese)."""
    from bot import compose

    translated = record.translated(language)
    if translated is None:
        notice = texts.text(language, "japanese_only", help=help_desk)
        return f"{notice}\n\n{compose.answer_text(record)}", notice
    lines = [translated[1].strip()]
    if record.department or record.contact:
        lines.append(f"{texts.text(language, 'contact')}: {record.contact or record.department}")
    if record.url:
        lines.append(f"{texts.text(language, 'details')}: {record.url}")
    return "\n".join(lines), ""
