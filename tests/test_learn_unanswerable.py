"""`madoguchi learn` with questions labelled "nothing answers it" (`relevant: {}`), as a city labels the
questions its FAQ does not cover: they teach the refitted confidence models and thresholds when to hand
over, and never become paraphrases.

The city is every other entry of the sample city's resident-services table (its paraphrases emptied); the
paraphrases of the kept entries are questions they answer, and the questions of the removed entries are
questions nothing in this city answers, a quarter of them kept apart as probes the learning never sees.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from indexer.learned import PARAPHRASES
from knowledge.core.settings import SAMPLE_CITY
from testing.learning import env, invoke, split_city  # noqa: F401 (fixtures)

pytestmark = pytest.mark.integration


def write(path: Path, questions: list[dict]) -> Path:
    path.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    return path


def asked(env: dict[str, str], index_dir: Path, batch: Path) -> dict[str, dict]:
    out = batch.with_suffix(".run.jsonl")
    invoke(env, "ask", "--batch", str(batch), "--index-dir", str(index_dir), "--out", str(out))
    return {line["id"]: line for line in map(json.loads, out.read_text(encoding="utf-8").splitlines())}


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> dict[str, Path | str]:
    """The city, its labels and probes, its index before learning and a copy after `madoguchi learn`."""
    root = tmp_path_factory.mktemp("unanswered")
    labelled, probes = split_city(SAMPLE_CITY / "faq" / "resident-services.csv", root / "city")
    before = root / "before"
    invoke(env, "index", "build", str(root / "city"), "--index-dir", str(before))
    after = root / "after"
    shutil.copytree(before, after)
    labels = write(root / "labelled.jsonl", labelled)
    output = invoke(env, "learn", "--labelled", str(labels), "--index-dir", str(after)).output
    return {"root": root, "before": before, "after": after, "labelled": labels,
            "probes": write(root / "probes.jsonl", probes), "output": output}


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def live_folder(index_dir: Path) -> Path:
    return index_dir / "versions" / (index_dir / "CURRENT").read_text(encoding="utf-8").strip()


def test_questions_nothing_answers_are_judged_and_never_become_paraphrases(city: dict) -> None:
    assert "published index" in city["output"], city["output"]
    unanswered = {q["text"] for q in lines(city["labelled"]) if not q["relevant"]}
    learned = [p["text"] for p in lines(live_folder(city["after"]) / PARAPHRASES)]
    assert learned and not unanswered & set(learned)
    assert "escalated_when_unanswerable" in city["output"]


def test_the_learned_thresholds_hand_over_what_the_city_said_nothing_answers(city: dict,
                                                                             env: dict[str, str]) -> None:
    replies = asked(env, city["after"], city["labelled"])
    unanswered = [q for q in lines(city["labelled"]) if not q["relevant"]]
    handed_over = sum(replies[q["id"]]["decision"] == "escalate" for q in unanswered)
    assert handed_over >= 0.6 * len(unanswered)


def test_questions_like_those_nothing_answers_are_answered_no_more_often_after_learning(
        city: dict, env: dict[str, str]) -> None:
    """The probes were never learned from; nothing in the city answers them, so every answer is wrong. The
    refitted confidence answers no more of them than the shipped one (7 of 48 both; 4 after learning until
    entries that say "cannot" were scored lower for questions on how to do it, BENCHMARKS.md 2026-12-05
    night: the 固定資産税 probes lost their 「払えない」 rivals and kept a margin over the rest)."""
    probes = [q for q in lines(city["probes"]) if not q["relevant"]]
    unanswered = write(city["root"] / "unanswered-probes.jsonl", probes)
    before, after = (sum(reply["decision"] == "answer" for reply in asked(env, index, unanswered).values())
                     for index in (city["before"], city["after"]))
    assert after <= before, (before, after)
