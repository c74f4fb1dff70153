"""Grouping review questions into needs: the pure clustering core, with crafted and labelled inputs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from bot.review import THRESHOLD, cluster_questions, group, most_common
from indexer.embedding import embedder_from_settings
from indexer.normalise import normalise_width
from indexer.runtime import normaliser_from_settings
from knowledge.core.settings import Settings
from knowledge.sources import load_sources

pytestmark = pytest.mark.integration

LABELLED = Path(__file__).resolve().parents[1] / "knowledge" / "samples" / "labelled" / "minato.jsonl"
Embed = Callable[[list[str]], tuple[np.ndarray, list[frozenset[str]]]]


@pytest.fixture(scope="module")
def embed(sample_index_dir: Path) -> Embed:
    """The bot's own embedder and normaliser (the built-in model the sample index was built with)."""
    settings = Settings(index_dir=sample_index_dir)
    embedder, normaliser = embedder_from_settings(settings).warm_up(), normaliser_from_settings(settings)

    def run(texts: list[str]) -> tuple[np.ndarray, list[frozenset[str]]]:
        clean = [normalise_width(t) for t in texts]
        return embedder.encode_queries(clean), [frozenset(normaliser.run(t).search_terms) for t in clean]

    return run


@pytest.fixture(scope="module")
def centre(embed: Embed) -> np.ndarray:
    return embed([r.question for r in load_sources(Settings().sources).records])[0].mean(axis=0)


def clusters(embed: Embed, centre: np.ndarray, texts: list[str]) -> list[set[str]]:
    vectors, terms = embed(texts)
    return [{texts[i] for i in members} for members in cluster_questions(texts, vectors, centre, terms)]


def test_three_sodaigomi_and_two_jidou_teate_questions_make_two_clusters(embed: Embed,
                                                                          centre: np.ndarray) -> None:
    sodaigomi = ["粗大ごみの出し方を教えて", "粗大ごみを捨てたい", "粗大ゴミの収集を申し込みたい"]
    teate = ["児童手当はいつ振り込まれる？", "児童手当の振込日を知りたい"]
    assert clusters(embed, centre, [teate[0], *sodaigomi, teate[1]]) == [set(sodaigomi), set(teate)]


def test_synonyms_join_different_words_for_one_need(embed: Embed, centre: np.ndarray) -> None:
    found = clusters(embed, centre,
                     ["パスポートの申請はどこでできる？", "旅券の申請はどこで", "犬の登録をしたい"])
    assert found == [{"パスポートの申請はどこでできる？", "旅券の申請はどこで"}, {"犬の登録をしたい"}]


def test_different_needs_stay_apart(embed: Embed, centre: np.ndarray) -> None:
    texts = ["住民票の写しがほしい", "粗大ごみを捨てたい", "保育園に入りたい", "犬の登録をしたい"]
    assert clusters(embed, centre, texts) == [{t} for t in texts]


def test_group_puts_the_most_central_question_first_and_the_biggest_cluster_first() -> None:
    alike = np.array([[1.0, 0.1, 0.1, 0.1], [0.1, 1.0, 0.8, 0.9], [0.1, 0.8, 1.0, 0.7], [0.1, 0.9, 0.7, 1.0]])
    assert group(alike, 0.5) == [[1, 3, 2], [0]]
    assert group(alike, 0.95) == [[0], [1], [2], [3]]
    assert group(np.ones((1, 1))) == [[0]] and group(np.zeros((0, 0))) == []


def test_cluster_questions_refuses_mismatched_inputs() -> None:
    with pytest.raises(ValueError):
        cluster_questions(["a", "b"], np.zeros((1, 3)), np.zeros(3), [frozenset()])


def test_most_common_prefers_the_first_seen_on_a_tie() -> None:
    assert most_common(["環境課", "", "市民課", "市民課", "環境課"]) == "環境課"
    assert most_common(["", ""], "なし") == "なし"


def test_the_threshold_keeps_neighbouring_needs_of_the_labelled_sample_apart(embed: Embed,
                                                                              centre: np.ndarray) -> None:
    """The sample's 299 labelled queries are nearly all different needs of one city: few may be merged."""
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    precision = []
    for audience in ("resident", "staff"):
        mine = [r for r in rows if r["audience"] == audience]
        need = [max(r["relevant"], key=r["relevant"].get) if r["relevant"] else r["id"] for r in mine]
        vectors, terms = embed([r["text"] for r in mine])
        for members in cluster_questions([r["text"] for r in mine], vectors, centre, terms, THRESHOLD):
            precision += [sum(need[j] == need[i] for j in members) / len(members) for i in members]
    assert np.mean(precision) >= 0.88
