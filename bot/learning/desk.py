"""The desk's labels as labelled questions, so `madoguchi learn --from-desk` and the desk's 「学習して公開」
run exactly the path `madoguchi learn --labelled` runs.

A question's id is a hash of its normalised text and audience: the same question asked in many
conversations is one labelled question, and it stays on the same side of the held-out split run after run.
What the learning run then checks still applies: labels of retired, deleted or expired entries are dropped,
and a staff question never becomes a paraphrase of an entry residents see.
"""

from __future__ import annotations

import hashlib

from bot.labelled import LabelledQuery
from bot.store.labels import LabelGroup, LabelStore, grouped_by_question
from knowledge.records import Audience

SOURCE = "desk"


def question_id(normalised: str, audience: str) -> str:
    """Stable across runs and databases, and free of the question's text."""
    return "desk-" + hashlib.sha256(f"{audience}:{normalised}".encode()).hexdigest()[:16]


def as_query(groups: list[LabelGroup]) -> LabelledQuery:
    """One question and every entry its usable labels say answers it."""
    first = groups[0]
    audience = (Audience(first.audience) if first.audience in Audience._value2member_map_
                else Audience.RESIDENT)
    return LabelledQuery(question_id(first.normalised, first.audience), first.question,
                         {g.entry_id: 2 for g in groups}, "answer", audience)


def desk_queries(labels: LabelStore) -> list[LabelledQuery]:
    """Trusted labels, and weak ones that enough conversations agree on or an editor accepted."""
    return [as_query(groups) for groups in grouped_by_question(labels.groups()).values()]
