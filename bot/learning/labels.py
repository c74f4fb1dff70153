"""Labels a city can learn from: checked against the live entries, split, and turned into paraphrases.

The split is by a hash of each question's id, so the same question is always on the same side: a later
run with more labels never trains on what an earlier run held out to judge by.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from bot.labelled import LabelledQuery
from bot.multilingual.detect import JAPANESE, detect_language
from bot.store.masking import with_personal_data_masked
from indexer.learned import Paraphrase
from knowledge.records import Audience, Record

HELD_OUT_PERCENT = 20
FOLDS = 5


def _bucket(salt: str, query_id: str, size: int) -> int:
    return int(hashlib.sha256(f"{salt}:{query_id}".encode()).hexdigest()[:12], 16) % size


def is_held_out(query_id: str) -> bool:
    """The question judges the learned model and is never learned from (one in five)."""
    return _bucket("held-out", query_id, 100) < HELD_OUT_PERCENT


def fold_of(query_id: str, folds: int = FOLDS) -> int:
    """The training fold whose model-fitting features exclude this question's own paraphrase."""
    return _bucket("fold", query_id, folds)


@dataclass(frozen=True, slots=True)
class Usable:
    """The questions left after checking their labels, and what was dropped."""

    queries: list[LabelledQuery]
    dropped_labels: int
    dropped_queries: int
    foreign: int = 0  # questions in other languages: answered through translations, not what this run learns


def usable(queries: Sequence[LabelledQuery], records: Sequence[Record], today: date) -> Usable:
    """Labels of entries that are unknown or not valid today are dropped; a question that had an answer and
    lost every one is dropped whole (it would otherwise read as "nothing answers it"). Questions in other
    languages are left out: a Japanese paraphrase or a decision model cannot learn from them."""
    valid = {r.id for r in records if r.is_valid_on(today)}
    japanese = [q for q in queries if detect_language(q.text) == JAPANESE]
    kept, labels, questions = [], 0, 0
    for query in japanese:
        relevant = {entry: grade for entry, grade in query.relevant.items() if entry in valid}
        labels += len(query.relevant) - len(relevant)
        if query.relevant and not relevant or query.answerable and 2 not in relevant.values():
            questions += 1
            continue
        kept.append(replace(query, relevant=relevant))
    return Usable(kept, labels, questions, len(queries) - len(japanese))


def split(queries: Sequence[LabelledQuery]) -> tuple[list[LabelledQuery], list[LabelledQuery]]:
    """(training share, held-out share)."""
    return [q for q in queries if not is_held_out(q.id)], [q for q in queries if is_held_out(q.id)]


def paraphrases(queries: Sequence[LabelledQuery], records: Sequence[Record]) -> tuple[list[Paraphrase], int]:
    """Each question becomes a paraphrase of every entry it is labelled to answer (grade 2), and the number
    kept off: a staff question never becomes a paraphrase of an entry residents see. (A resident's question
    on a staff entry stays with that staff-only entry, which residents never reach.) Personal data in a
    question is masked as in stored turns: a paraphrase is shown on the desk and kept in every backup."""
    by_id = {r.id: r for r in records}
    found, kept_off = [], 0
    for query in queries:
        for entry in (e for e, grade in query.relevant.items() if grade == 2):
            record = by_id[entry]
            if query.audience is Audience.STAFF and record.audience is not Audience.STAFF:
                kept_off += 1
                continue
            text = with_personal_data_masked(query.text)
            if text not in (record.question, *record.paraphrases):
                found.append(Paraphrase(entry, text, query.id))
    return found, kept_off
