"""The department the desk suggests for an escalation: what most of the best candidates agree on, or none."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.departments import best_candidate, cases, rates
from bot import Bot
from bot.answer import Candidate
from bot.routing import suggest_department
from knowledge.records import Record
from testing.live_index import sample_settings

pytestmark = pytest.mark.integration


def candidate(department: str, score: float) -> Candidate:
    return Candidate(Record(f"{department}-{score}", "faq", "質問", "回答", department=department), score, {})


def test_a_department_is_suggested_only_when_most_of_the_vote_agrees() -> None:
    agreeing = [candidate("市民課", 2.0), candidate("保険年金課", 1.9), candidate("市民課", 1.8),
                candidate("", 5.0)]
    split = [candidate("市民課", 2.0), candidate("保険年金課", 2.0), candidate("こども課", 2.0)]
    assert suggest_department(agreeing) == "市民課", "a record without a department has no vote"
    assert suggest_department(split) == "" and suggest_department([]) == ""


@pytest.fixture(scope="module")
def scenarios(sample_index_dir: Path) -> dict:
    return cases(Bot.from_settings(sample_settings(sample_index_dir)))


def test_with_the_answer_missing_the_desk_suggests_a_wrong_department_half_as_often(scenarios: dict) -> None:
    missing = scenarios["answer taken out"]
    vote, best = rates(suggest_department, missing), rates(best_candidate, missing)
    assert len(missing) > 200
    assert vote["wrong"] <= 0.5 * best["wrong"], (vote, best)
    # A wrong suggestion sends the question to the wrong desk, a missing one leaves it to the agent: each
    # right suggestion the vote gives up must remove at least two wrong ones.
    assert best["right"] - vote["right"] <= 0.5 * (best["wrong"] - vote["wrong"]), (vote, best)


def test_when_the_answer_is_there_nearly_every_suggestion_is_right(scenarios: dict) -> None:
    ranked = rates(suggest_department, scenarios["as ranked"])
    assert ranked["suggested"] >= 0.9 and ranked["precision"] >= 0.9, ranked
