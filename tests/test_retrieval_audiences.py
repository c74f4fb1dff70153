"""Retrieval keeps staff records from residents before any ranking happens: the audience mask is plumbing, so
it is checked over the sample city with the fake embedder and an in-memory index (no model, no index on
disk)."""

from __future__ import annotations

import pytest

from indexer.search import Retriever
from knowledge.core.settings import SAMPLE_CITY
from knowledge.records import Audience
from knowledge.sources import load_sources
from testing.fakes import memory_retriever

STAFF_QUESTION = "年休の繰越は何日まで？"


@pytest.fixture(scope="module")
def retriever() -> Retriever:
    return memory_retriever(load_sources([SAMPLE_CITY]).records)


def reached(retriever: Retriever, text: str, audience: Audience) -> set[Audience]:
    retrieval = retriever.run(text, audience)
    return {retriever.index.records[i].audience for i in retrieval.candidates}


def test_a_residents_question_never_reaches_a_staff_record(retriever: Retriever) -> None:
    assert Audience.STAFF in reached(retriever, STAFF_QUESTION, Audience.STAFF)
    assert Audience.STAFF not in reached(retriever, STAFF_QUESTION, Audience.RESIDENT)


def test_the_same_question_gives_the_same_signals_every_time(retriever: Retriever) -> None:
    first, second = (retriever.run(STAFF_QUESTION, Audience.STAFF) for _ in range(2))
    assert first.candidates.tolist() == second.candidates.tolist()
    assert (first.signals == second.signals).all() and first.signals[:, 3:6].any()
