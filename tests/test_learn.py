"""`madoguchi learn` through the front door, on the sample city and its labelled questions.

The shipped decision model was fitted on these very questions, over FAQ entries that already carry
paraphrases, so there it is hard to beat honestly. The runs that should learn use the sample city with
its paraphrase column emptied: a city whose FAQ has no paraphrases yet, as most cities' do not. Each run
takes a model load and five fold indexes, so runs are made once per module on copies of built indexes.
"""

from __future__ import annotations

import csv
import json
import random
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.labelled import LabelledQuery, read_labelled
from bot.learning.guard import WRONG_LIMIT, Measured, judge, worse_because
from bot.learning.labels import is_held_out
from bot.model import DEFAULT_MODEL_FILE
from indexer.learned import MODEL, PARAPHRASES
from testing.learning import LABELLED, UNANSWERED, bare_city, env, invoke, snapshot  # noqa: F401 (fixtures)

pytestmark = pytest.mark.integration

# unlabelled-answer question; the learned model changes its confidence
CLARIFIED = "75歳になったら健康保険ってどう変わるの？"
STAFF_QUESTION = "出張先のビジホ、1泊12000円なんだけど全額出る？"  # labelled with the staff rule S022


def copy_of(index_dir: Path, tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    target = tmp_path_factory.mktemp(name) / "index"
    shutil.copytree(index_dir, target)
    return target


def live_folder(index_dir: Path) -> Path:
    return index_dir / "versions" / (index_dir / "CURRENT").read_text(encoding="utf-8").strip()


def ask_batch(env: dict[str, str], index_dir: Path, tmp_path: Path, questions: list[dict]) -> dict[str, dict]:
    batch = tmp_path / "batch.jsonl"
    batch.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    result = invoke(env, "ask", "--batch", str(batch), "--index-dir", str(index_dir))
    return {line["id"]: line for line in map(json.loads, filter(str.strip, result.output.splitlines()))}


@pytest.fixture(scope="module")
def learned(bare_city: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory,
            env: dict[str, str]) -> tuple[Path, str, str]:
    """A copy of the bare city after `madoguchi learn` on its labelled questions: (dir, version before,
    output)."""
    index_dir = copy_of(bare_city[1], tmp_path_factory, "learned")
    before = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    result = invoke(env, "learn", "--labelled", str(LABELLED), "--index-dir", str(index_dir))
    return index_dir, before, result.output


@pytest.fixture(scope="module")
def mislabelled(bare_city: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory,
                env: dict[str, str]) -> tuple[Path, tuple, str]:
    """A copy of the bare city after learning from labels whose training share points at the wrong entries
    (held-out kept true): the same city that learns from the true labels."""
    index_dir = copy_of(bare_city[1], tmp_path_factory, "mislabelled")
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    training = [r for r in rows if not is_held_out(r["id"]) and r["relevant"]]
    shuffled = [r["relevant"] for r in training]
    random.Random(16).shuffle(shuffled)
    for row, wrong in zip(training, shuffled[1:] + shuffled[:1], strict=True):
        row["relevant"] = wrong
    labelled = index_dir.parent / "mislabelled.jsonl"
    labelled.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    before = snapshot(index_dir)
    result = invoke(env, "learn", "--labelled", str(labelled), "--index-dir", str(index_dir))
    return index_dir, before, result.output


def test_learned_paraphrase_answers_a_question_the_bot_escalated_before(
        learned: tuple[Path, str, str], bare_city: tuple[Path, Path], env: dict[str, str],
    tmp_path: Path) -> None:
    index_dir, _, output = learned
    question_id, text, entry = UNANSWERED
    assert not is_held_out(question_id)
    question = [{"id": question_id, "text": text}]
    before = ask_batch(env, bare_city[1], tmp_path, question)[question_id]
    assert before["decision"] != "answer", before
    after = ask_batch(env, index_dir, tmp_path, question)[question_id]
    assert after["results"][0]["id"] == entry and after["decision"] in ("answer", "clarify"), (after, output)
    # answered, or offered first when the refitted thresholds are stricter
    assert after["confidence"] > before["confidence"]
    assert "published index" in output


def scores_by_column(output: str) -> dict[str, dict[str, str]]:
    """`madoguchi learn`'s table: metric → {column → value}."""
    lines = output.splitlines()
    names = [c.strip() for c in next(line for line in lines if "serving now" in line).split("┃")[2:-1]]
    rows = ([c.strip() for c in line.split("│")[1:-1]] for line in lines if line.startswith("│"))
    return {cells[0]: dict(zip(names, cells[1:], strict=True)) for cells in rows}


def test_a_second_run_over_the_same_labels_judges_the_serving_bot_as_fairly_as_the_candidates(
        learned: tuple[Path, str, str], env: dict[str, str],
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """After one run went live, the serving bot held paraphrases of the very questions it was judged on, and
    its own words made it look better than any candidate: every later run (the desk's 「学習して公開」 too)
    was refused. It is judged without them, as candidates are; with the same labels again it ties with
    the same paraphrases under the same model."""
    index_dir, _, output = learned
    assert "published index" in output
    again = invoke(env, "learn", "--labelled", str(LABELLED), "--dry-run",
                   "--index-dir", str(copy_of(index_dir, tmp_path_factory, "again"))).output
    table = scores_by_column(again)
    assert table["hit@1"]["serving now"] == table["hit@1"]["learned paraphrases"], again
    assert table["answered_right"]["serving now"] == table["answered_right"]["learned paraphrases"], again


def test_learned_model_lives_in_the_index_version_and_the_history_says_learned(
        learned: tuple[Path, str, str]) -> None:
    index_dir, _, output = learned
    folder = live_folder(index_dir)
    # the guard took the refitted model here
    stored = json.loads((folder / MODEL).read_text(encoding="utf-8"))
    assert stored["trained_on"]["learned"] == LABELLED.name
    last = json.loads((index_dir / "HISTORY").read_text(encoding="utf-8").splitlines()[-1])
    assert last["note"].startswith("learned:") and last["version"] == folder.name


def day_one(env: dict[str, str]) -> dict[str, str]:
    """The shipped day-one model, whatever model the index version learned."""
    return {**env, "MADOGUCHI_DECISION_MODEL": str(DEFAULT_MODEL_FILE)}


def right_first(replies: dict[str, dict], questions: list[dict]) -> int:
    firsts = {key: reply["results"][0]["id"] for key, reply in replies.items() if reply["results"]}
    return sum(q["relevant"].get(firsts.get(q["id"], "")) == 2 for q in questions)


def test_learned_paraphrases_under_the_day_one_model_do_not_rank_held_back_questions_worse(
        learned: tuple[Path, str, str], bare_city: tuple[Path, Path], env: dict[str, str],
        tmp_path: Path) -> None:
    index_dir, _, output = learned
    assert "published index" in output and live_folder(index_dir).joinpath(PARAPHRASES).stat().st_size
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    held_back = [{"id": r["id"], "text": r["text"], "relevant": r["relevant"]}
                 for r in rows if is_held_out(r["id"]) and 2 in r["relevant"].values()]
    before = right_first(ask_batch(day_one(env), bare_city[1], tmp_path, held_back), held_back)
    after = right_first(ask_batch(day_one(env), index_dir, tmp_path, held_back), held_back)
    assert after >= before, (before, after, len(held_back))


@pytest.fixture(scope="module")
def half_city(learned: tuple[Path, str, str], bare_city: tuple[Path, Path],
              tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> dict[str, Path | set[str]]:
    """Every other FAQ entry of the bare city, indexed fresh and indexed over the learned version (a build
    keeps what the live version learned): questions about the removed entries are questions it cannot
    answer, and their neighbours may have learned paraphrases. Copied before any test rebuilds `learned`."""
    root = tmp_path_factory.mktemp("half")
    city, removed = root / "city", set()
    shutil.copytree(bare_city[0], city)
    for table in (city / "faq").glob("*.csv"):
        with open(table, encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        removed |= {row["id"] for row in rows[1::2]}
        with open(table, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows[0::2])
    fresh, over_learned = root / "fresh", copy_of(learned[0], tmp_path_factory, "half-learned")
    invoke(env, "index", "build", str(city), "--index-dir", str(fresh))
    invoke(env, "index", "build", str(city), "--index-dir", str(over_learned))
    learned_lines = live_folder(over_learned).joinpath(PARAPHRASES).read_text(encoding="utf-8").splitlines()
    asked = {json.loads(line)["entry"] for line in learned_lines}
    return {"fresh": fresh, "learned": over_learned, "removed": removed, "asked": asked - removed}


def test_a_question_whose_entry_is_gone_is_not_drawn_to_a_neighbour_with_learned_paraphrases(
        half_city: dict, env: dict[str, str], tmp_path: Path) -> None:
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    gone = [{"id": r["id"], "text": r["text"]} for r in rows
            if r["relevant"] and set(r["relevant"]) <= half_city["removed"] and r.get("audience") != "staff"]
    assert len(gone) > 50 and len(half_city["asked"]) > 30
    before = ask_batch(day_one(env), half_city["fresh"], tmp_path, gone)
    after = ask_batch(day_one(env), half_city["learned"], tmp_path, gone)

    def drawn(replies: dict[str, dict]) -> int:  # ranked first on an entry that learned paraphrases
        return sum(r["results"][0]["id"] in half_city["asked"] for r in replies.values() if r["results"])

    def answered(replies: dict[str, dict]) -> int:
        return sum(r["decision"] == "answer" for r in replies.values())

    assert drawn(after) <= drawn(before) + len(gone) // 20, (drawn(before), drawn(after), len(gone))
    assert answered(after) <= answered(before) + len(gone) // 50, (answered(before), answered(after))


def test_kana_typing_is_read_into_the_words_residents_taught(learned: tuple[Path, str, str],
                                                            bare_city: tuple[Path, Path], env: dict[str, str],
                                                            tmp_path: Path) -> None:
    # 身障手帳 is in no entry of the bare city; a labelled question (q032) teaches it as a paraphrase
    questions = [{"id": "kanji", "text": "身障手帳の申請"},
                 {"id": "kana", "text": "しんしょうてちょうのしんせい"}]
    before = ask_batch(env, bare_city[1], tmp_path, questions)
    after = ask_batch(env, learned[0], tmp_path, questions)

    def ids(reply: dict) -> list[str]:
        return [hit["id"] for hit in reply["results"]]
    assert ids(before["kana"]) != ids(before["kanji"])
    assert ids(after["kana"]) == ids(after["kanji"])
    assert after["kana"]["confidence"] == after["kanji"]["confidence"]


def test_staff_questions_never_become_resident_paraphrases(learned: tuple[Path, str, str],
                                                           env: dict[str, str],
                                                            tmp_path: Path) -> None:
    index_dir, _, _ = learned
    folder = live_folder(index_dir)
    records = {r["id"]: r
               for r in map(json.loads, (folder / "records.jsonl").read_text(encoding="utf-8").splitlines())}
    staff_texts = {q.text for q in read_labelled(LABELLED) if q.audience.value == "staff"}
    paraphrases = [json.loads(line)
                   for line in (folder / PARAPHRASES).read_text(encoding="utf-8").splitlines()]
    assert STAFF_QUESTION in {p["text"] for p in paraphrases}  # learned, on its staff entry
    leaked = [p
              for p in paraphrases if p["text"] in staff_texts and records[p["entry"]]["audience"] != "staff"]
    assert leaked == []
    reply = ask_batch(env, index_dir, tmp_path, [{"id": "r", "text": STAFF_QUESTION,
                                                  "audience": "resident"}])["r"]
    assert not [hit["id"] for hit in reply["results"] if records[hit["id"]]["audience"] == "staff"], reply


def test_guard_refuses_what_wrong_labels_taught_and_keeps_the_serving_index(
        mislabelled: tuple[Path, tuple, str]) -> None:
    index_dir, before, output = mislabelled
    assert snapshot(index_dir) == before
    assert "refused: learned paraphrases + refitted model:" in output
    assert "refused: learned paraphrases:" in output
    assert "kept the serving index" in output


def test_dry_run_prints_the_comparison_and_changes_nothing(
        bare_city: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> None:
    index_dir = copy_of(bare_city[1], tmp_path_factory, "dry")
    before = snapshot(index_dir)
    result = invoke(env, "learn", "--labelled", str(LABELLED), "--index-dir", str(index_dir), "--dry-run")
    assert "dry run: would publish" in result.output and "hit@1" in result.output
    assert snapshot(index_dir) == before


def test_an_explicit_decision_model_still_wins_over_the_learned_one(
        learned: tuple[Path, str, str], env: dict[str, str], tmp_path: Path) -> None:
    index_dir, _, _ = learned
    assert (live_folder(index_dir) / MODEL).is_file()
    question = [{"id": "x", "text": "ごみの分別方法を知りたい"}]
    learned_reply = ask_batch(env, index_dir, tmp_path, question)["x"]
    explicit = ask_batch({**env, "MADOGUCHI_DECISION_MODEL": str(DEFAULT_MODEL_FILE)}, index_dir, tmp_path,
                         question)["x"]
    assert explicit["results"][0]["score"] != learned_reply["results"][0]["score"]


def test_a_served_city_swaps_to_the_learned_version_and_model_without_restart(
        learned: tuple[Path, str, str], tmp_path: Path, env: dict[str, str]) -> None:
    from fastapi.testclient import TestClient

    from channels.server import create_app
    from knowledge.core.settings import Settings

    index_dir = tmp_path / "index"
    shutil.copytree(learned[0], index_dir)
    learned_version, older = live_folder(index_dir).name, learned[1]
    question_id, text, _ = UNANSWERED
    # confidence differs by model
    expected = ask_batch(env, index_dir, tmp_path, [{"id": "c", "text": CLARIFIED}])["c"]
    settings = Settings(index_dir=index_dir, index_poll_seconds=0,
                        database_url=f"sqlite:///{tmp_path / 'store.db'}",
                        rate_per_session=100_000, rate_per_address=100_000)
    learned_reply = ask_batch(env, index_dir, tmp_path, [{"id": question_id, "text": text}])[question_id]
    invoke(env, "index", "use", older, "--index-dir", str(index_dir))
    with TestClient(create_app(settings)) as client:
        assert client.post("/api/v1/ask", json={"text": text}).json()["decision"] != "answer"
        invoke(env, "index", "use", learned_version, "--index-dir", str(index_dir))
        assert client.app.state.index_watcher.poll() == learned_version  # type: ignore[attr-defined]
        swapped = client.post("/api/v1/ask", json={"text": text}).json()
        assert (swapped["decision"], swapped["confidence"]) == (
            learned_reply["decision"], pytest.approx(learned_reply["confidence"], abs=1e-4))
        reply = client.post("/api/v1/ask", json={"text": CLARIFIED}).json()
    assert reply["confidence"] == pytest.approx(expected["confidence"], abs=1e-4), (reply, expected)


def test_index_build_keeps_what_was_learned_and_index_use_rolls_it_back(
        learned: tuple[Path, str, str], bare_city: tuple[Path, Path], env: dict[str, str],
    tmp_path: Path) -> None:
    index_dir, older, _ = learned
    question_id, text, _ = UNANSWERED
    invoke(env, "index", "build", str(bare_city[0]), "--index-dir", str(index_dir))
    rebuilt = live_folder(index_dir)
    assert (rebuilt / PARAPHRASES).read_text(encoding="utf-8").count("\n") > 100
    kept = ask_batch(env, index_dir, tmp_path, [{"id": question_id, "text": text}])[question_id]
    assert kept["results"][0]["id"] == UNANSWERED[2] and kept["decision"] in ("answer", "clarify"), kept
    invoke(env, "index", "use", older, "--index-dir", str(index_dir))
    rolled = ask_batch(env, index_dir, tmp_path, [{"id": question_id, "text": text}])[question_id]
    assert rolled["decision"] != "answer", rolled
    invoke(env, "index", "build", str(bare_city[0]), "--index-dir", str(index_dir))
    assert (live_folder(index_dir) / PARAPHRASES).read_text(encoding="utf-8") == ""


def numbers_of(output: str, row: str) -> list[float]:
    """The numbers of one row of the comparison table `madoguchi learn` prints."""
    line = next(x for x in output.splitlines() if x.strip("│┃ ").startswith(row + " "))
    return [float(x) for x in re.findall(r"\d+\.\d{3}", line)]


def test_learn_prints_a_pessimistic_wrong_answer_bound_and_publishes_nothing_above_the_serving_share_or_limit(
        learned: tuple[Path, str, str]) -> None:
    _, _, output = learned
    wrong, bound = numbers_of(output, "wrong_answer"), numbers_of(output, "wrong_answer_bound")
    assert bound[0] == wrong[0]  # the serving bot against itself
    assert all(b >= w for b, w in zip(bound[1:], wrong[1:], strict=True))
    assert "published index" in output
    chosen = 2 if "refused: learned paraphrases + refitted model:" in output else 1
    assert bound[chosen] <= max(wrong[0], WRONG_LIMIT)


def measured(wrong: list[int], reciprocal: list[float], escalated: float = 0.7) -> Measured:
    scores = {"wrong_answer": sum(wrong) / len(wrong), "answered_right": 0.5, "clarified_right": 0.2,
              "mrr@10": sum(reciprocal) / len(reciprocal), "hit@1": 0.5,
              "escalated_when_unanswerable": escalated}
    return Measured(scores, np.array(reciprocal), np.array(wrong, dtype=float), np.full(len(reciprocal), 0.5))


def test_personal_data_in_a_labelled_question_never_becomes_a_paraphrase() -> None:
    """A city's file of labelled questions holds what residents typed; its paraphrases are shown on the desk
    and kept in every index version and backup, so they are masked as stored turns are."""
    from bot.learning.labels import paraphrases
    from knowledge.core.settings import SAMPLE_CITY
    from knowledge.sources import load_sources

    records = load_sources([SAMPLE_CITY]).records
    entry = next(r for r in records if r.audience.value == "resident")
    asked = LabelledQuery("q1", "電話は090-1234-5678です。住民票の写しを郵送でほしい", {entry.id: 2})
    [learned], _ = paraphrases([asked], records)
    assert "1234" not in learned.text and "住民票の写し" in learned.text


def test_a_phone_number_learned_before_masking_is_masked_when_carried_into_the_next_version() -> None:
    from types import SimpleNamespace

    from bot.learning.loop import carried_over
    from indexer.learned import Learned, Paraphrase

    learned = Learned((Paraphrase("R001", "電話は090-1234-5678です。住民票がほしい", "q9"),))
    serving = SimpleNamespace(runtime=SimpleNamespace(index=SimpleNamespace(learned=learned)))
    [kept] = carried_over(serving, [])  # type: ignore[arg-type]
    assert "1234" not in kept.text and kept.label == "q9"


def test_the_guard_refuses_a_model_that_trades_wrong_answers_for_others_even_with_better_rankings() -> None:
    serving = measured([1, 1, 0, 0, 0, 0, 0, 0, 0, 0], [0.5] * 10)
    swapped = measured([0, 0, 1, 1, 0, 0, 0, 0, 0, 0], [1.0] * 10)  # as many wrong, on other questions
    same = measured([1, 1, 0, 0, 0, 0, 0, 0, 0, 0], [1.0] * 10)
    fewer = measured([1, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1.0] * 10)
    assert "wrong answers might rise" in str(worse_because(swapped, serving))
    assert worse_because(same, serving) is None and worse_because(fewer, serving) is None
    assert judge(serving, {"swapped": swapped, "same": same}).chosen == "same"


def test_below_the_city_limit_a_bound_a_little_over_a_near_zero_serving_share_does_not_keep_a_worse_ranking(
) -> None:
    serving = measured([1, 1] + [0] * 98, [0.5] * 100)
    # one wrong answer fewer, every question ranked better
    fewer = measured([0, 0, 1] + [0] * 97, [1.0] * 100)
    traded = measured([0] * 50 + [1] * 5 + [0] * 45, [1.0] * 100)  # four more: measured higher
    assert worse_because(fewer, serving) is None
    assert "wrong answers might rise: their upper bound" in str(worse_because(fewer, serving, limit=0.0))
    assert "wrong answers would rise" in str(worse_because(traded, serving))
    assert judge(serving, {"fewer": fewer}).chosen == "fewer"


def test_the_guard_takes_the_same_ranking_with_fewer_wrong_answers_and_refuses_fewer_hand_overs() -> None:
    serving = measured([1] * 10 + [0] * 90, [0.5] * 100)
    handing_over = measured([0] * 100, [0.5] * 100)  # what a city's unanswerable labels teach
    clarifying = measured([0] * 100, [0.5] * 100, escalated=0.4)  # no wrong answers, but nothing handed over
    assert worse_because(handing_over, serving) is None
    assert "fewer unanswerable questions would be handed over" in str(worse_because(clarifying, serving))
    assert "right answers would not rise" in str(worse_because(serving, serving))


def test_one_more_wrong_answer_among_a_hundred_is_a_tie_not_a_rise_whatever_the_rounding() -> None:
    """The paired rise and its standard error are both 1/n here; summed in this order, NumPy makes the rise
    the larger by one unit in the last place."""
    serving = measured([0] * 100, [0.5] * 100)
    one_more = measured([0] * 37 + [1] + [0] * 62, [1.0] * 100)
    assert worse_because(one_more, serving) is None


def test_better_decisions_never_buy_back_a_worse_ranking_between_two_candidates() -> None:
    """Both candidates beat the serving bot; the one preferred first (the refitted ranker) ranks better and
    the other clarifies more. Before, the other displaced it on decisions alone."""
    def helping(reciprocal: list[float], helped: list[float]) -> Measured:
        scores = {"wrong_answer": 0.0, "answered_right": 0.1, "clarified_right": sum(helped) / len(helped),
                  "mrr@10": sum(reciprocal) / len(reciprocal), "hit@1": 0.5,
                  "escalated_when_unanswerable": 0.7}
        return Measured(scores, np.array(reciprocal), np.zeros(len(reciprocal)), np.array(helped))
    serving = helping([0.5] * 40, [0.0] * 40)
    ranks_better = helping([0.75] * 40, [0.4] * 40)
    clarifies_more = helping([0.75] * 38 + [0.25, 1.0], [0.8] * 40)  # lower, within chance
    assert worse_because(ranks_better, serving) is None and worse_because(clarifies_more, serving) is None
    assert worse_because(clarifies_more, ranks_better) is None  # decisions better beyond chance
    verdict = judge(serving, {"refitted ranker": ranks_better, "paraphrases": clarifies_more})
    assert verdict.chosen == "refitted ranker"
    same_ranking = helping([0.75] * 40, [0.8] * 40)
    verdict = judge(serving, {"refitted ranker": ranks_better, "paraphrases": same_ranking})
    assert verdict.chosen == "paraphrases"
