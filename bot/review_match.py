"""Where a review cluster's questions could go: the FAQ entry they could become paraphrases of, and the
entry the bot already answers them with (then the cluster needs no more work).

The bot's own choices are not enough: it offers びん・缶・ペットボトル for 「粗大ごみってどうやって出すの」
because both say どうやって出す. An entry is suggested only for questions that name what it names
(bot/drafting/relevance.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.answer import Candidate
from bot.drafting.relevance import names_the_entry
from bot.engine import Bot
from bot.store.insights import ReviewTurn, today_jst
from knowledge.records import Audience, Record

VOTING_QUESTIONS = 10
EXAMPLES = 5


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


def votes(live: Sequence[Candidate], turns: Sequence[ReviewTurn]) -> list[str]:
    """Entries by reciprocal-rank votes, most first: the live ranking of the typical question counts twice,
    then each of the first VOTING_QUESTIONS questions' candidates as the bot ranked them when asked."""
    counted: defaultdict[str, float] = defaultdict(float)
    for rank, candidate in enumerate(live):
        counted[candidate.record.id] += 2 / (1 + rank)
    for turn in turns[:VOTING_QUESTIONS]:
        for rank, shown in enumerate(turn.candidates):
            counted[str(shown.get("id"))] += 1 / (1 + rank)
    return sorted(counted, key=counted.__getitem__, reverse=True)


def usable(record: Record | None, asker: Audience, today: date) -> bool:
    """An FAQ entry (paraphrases can only go to entries) this audience may see and the bot answers today."""
    return (record is not None and record.kind == "faq" and record.audience.visible_to(asker)
            and record.is_valid_on(today))


def fitting(bot: Bot, turns: Sequence[ReviewTurn], record: Record) -> tuple[str, ...]:
    """The cluster's examples that name what the entry names (so may become its paraphrases)."""
    examples = dict.fromkeys(t.question.strip() for t in turns)
    return tuple(e for e in list(examples)[:EXAMPLES] if names_the_entry(bot.runtime.normaliser, e, record))


@dataclass(frozen=True, slots=True)
class LiveRanking:
    """How the bot ranks the cluster's typical question today."""

    live: tuple[Candidate, ...]
    offered: tuple[str, ...]
    clarifies: bool
    answers: bool


def live_ranking(bot: Bot, question: str, asker: Audience, channel: str) -> LiveRanking:
    """One ranking per cluster (the slow part of the review page), with its index version's thresholds."""
    ranking = bot.rank(question, asker)
    live, limits = bot.candidates(ranking, 10), ranking.snapshot.thresholds(channel)
    offered = tuple(c.record.id for c in live[: ranking.offered(bot.settings.max_choices)])
    return LiveRanking(live, offered, ranking.top3 >= limits.clarify, ranking.top1 >= limits.answer)


def match_of(bot: Bot, turns: Sequence[ReviewTurn], record: Record, seen: LiveRanking) -> EntryMatch:
    """An entry as the review page shows it: offered or answering only when the typical question names it."""
    fits = fitting(bot, turns, record)
    named = turns[0].question.strip() in fits
    likely = named and record.id in seen.offered and seen.clarifies
    answers = named and bool(seen.live) and seen.live[0].record.id == record.id and seen.answers
    return EntryMatch(record.id, record.question, record.department, likely, answers, fits)


def best_entry(bot: Bot, turns: Sequence[ReviewTurn], asker: Audience,
               seen: LiveRanking) -> EntryMatch | None:
    """The FAQ entry (valid today, visible to the audience) most of the cluster's rankings point at, among
    those the cluster's typical question names; failing that, the first usable one, only as a reference."""
    reference = None
    for entry_id in votes(seen.live, turns):
        record = bot.runtime.index.record(entry_id)
        if usable(record, asker, today_jst()):
            assert record is not None
            match = match_of(bot, turns, record, seen)
            if turns[0].question.strip() in match.fitting:
                return match
            reference = reference or match
    return reference


def answered_by(bot: Bot, turns: Sequence[ReviewTurn], asker: Audience,
                seen: LiveRanking) -> EntryMatch | None:
    """The entry the bot now answers the cluster with (an editor published it or a paraphrase), unless
    residents marked that entry's answer 👎: then its text, not the bot's choice, needs the editors."""
    top = seen.live[0].record if seen.live else None
    if top is None or not usable(top, asker, today_jst()):
        return None
    match = match_of(bot, turns, top, seen)
    disliked = any(t.unhelpful and t.decision == "answer" and t.candidates
                   and str(t.candidates[0].get("id")) == top.id for t in turns)
    return match if match.answers_now and not disliked else None


def entry_matches(bot: Bot, turns: Sequence[ReviewTurn], audience: str,
                  channel: str) -> tuple[EntryMatch | None, EntryMatch | None]:
    """The entry to suggest for the cluster, and the entry that already answers it (if any)."""
    asker = Audience(audience)
    seen = live_ranking(bot, turns[0].question, asker, channel)
    return best_entry(bot, turns, asker, seen), answered_by(bot, turns, asker, seen)
