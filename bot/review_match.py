"""Where a review cluster's questions could go: the FAQ entry they could become paraphrases of, and the
entry the bot already answers them with (then the cluster needs no more work).

The bot's own choices are not enough: it offers びん・缶・ペットボトル for 「粗大ごみってどうやって出すの」 because
both say どうやって出す. An entry is suggested only for questions that name what it names
(bot/drafting/relevance.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.answer import Candidate
from bot.drafting.relevance import names_the_entry
from bot.engine import Bot
from bot.store.insights import ReviewTurn, today_jst
from knowledge.records import Audience, Record

VOTERS = 10
EXAMPLES = 5
Lock = AbstractContextManager[Any]


@dataclass(frozen=True, slots=True)
class EntryMatch:
    """The existing FAQ entry nearest to a cluster: where its questions could go as paraphrases.

    `likely` when the bot itself would offer it for the cluster's most typical question (among its
    choices, with the confidence a clarification needs) and that question names what the entry names;
    otherwise it is only the least bad match. `fitting`: the examples that may become its paraphrases.
    """

    id: str
    question: str
    department: str
    likely: bool
    answers_now: bool
    fitting: tuple[str, ...] = ()


def votes(live: Sequence[Candidate], turns: Sequence[ReviewTurn]) -> Counter[str]:
    """Reciprocal-rank votes for entries: the live ranking of the typical question counts twice, then
    each of the first VOTERS questions' candidates as the bot ranked them when they were asked."""
    counted: Counter[str] = Counter()
    for rank, candidate in enumerate(live):
        counted[candidate.record.id] += 2 / (1 + rank)
    for turn in turns[:VOTERS]:
        for rank, candidate in enumerate(turn.candidates):
            counted[str(candidate.get("id"))] += 1 / (1 + rank)
    return counted


def usable(record: Record | None, asker: Audience, today: date) -> bool:
    """An FAQ entry (paraphrases can only go to entries) this audience may see and the bot answers today."""
    return (record is not None and record.kind == "faq" and record.audience.visible_to(asker)
            and record.is_valid_on(today))


def fitting(bot: Bot, turns: Sequence[ReviewTurn], record: Record) -> tuple[str, ...]:
    """The cluster's examples that name what the entry names (so may become its paraphrases)."""
    examples = dict.fromkeys(t.question.strip() for t in turns)
    return tuple(e for e in list(examples)[:EXAMPLES] if names_the_entry(bot.runtime.normaliser, e, record))


def best_entry(bot: Bot, lock: Lock, turns: Sequence[ReviewTurn], audience: str,
               channel: str) -> EntryMatch | None:
    """The FAQ entry (valid today, visible to the audience) most of the cluster's rankings point at, among
    those the cluster's typical question names; failing that, the first usable one, only as a reference."""
    asker = Audience(audience)
    with lock:
        ranking = bot.rank(turns[0].question, asker)
        live, limits, index = bot.candidates(ranking, 10), bot.thresholds(channel), bot.runtime.index
    offered = [c.record.id for c in live[: bot.settings.max_choices]]
    found: list[EntryMatch] = []
    for entry_id, _ in votes(live, turns).most_common():
        record = index.record(entry_id)
        if usable(record, asker, today_jst()):
            assert record is not None
            fits = fitting(bot, turns, record)
            named = turns[0].question.strip() in fits
            likely = named and entry_id in offered and ranking.top3 >= limits.clarify
            answers = named and bool(live) and live[0].record.id == entry_id and ranking.top1 >= limits.answer
            found.append(EntryMatch(entry_id, record.question, record.department, likely, answers, fits))
            if named:
                break
    return next((e for e in found if e.likely or e.answers_now), found[0] if found else None)


def answered_by(entry: EntryMatch | None, turns: Sequence[ReviewTurn]) -> EntryMatch | None:
    """The entry the bot now answers the cluster with, unless residents already marked its answer 👎:
    then its text, not the bot's choice, is what editors must look at."""
    if entry is None or not entry.answers_now:
        return None
    disliked = any(t.unhelpful and t.decision == "answer" and t.candidates
                   and str(t.candidates[0].get("id")) == entry.id for t in turns)
    return None if disliked else entry
