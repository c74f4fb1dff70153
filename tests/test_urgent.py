"""Urgent situations are recognised before the search and answered with the public line to call first.

The phrasings in tests/data/urgent_phrasings.jsonl were written before the recogniser was run on them; the
ordinary questions are the sample city's labelled ones and, where present, the LocalgovFAQ dev questions."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.urgent import UrgentSituations
from channels.server import create_app
from knowledge.core.errors import ConfigurationError
from knowledge.core.settings import SAMPLE_CITY, Settings
from testing.line import SECRET, replies_to, signed, text_event, webhook
from testing.paths import SHARED
from testing.recorder import Recorder

pytestmark = pytest.mark.integration

DATA = Path(__file__).parent / "data"
PHRASINGS = [json.loads(line)
             for line in (DATA / "urgent_phrasings.jsonl").read_text(encoding="utf-8").splitlines()]
LABELLED = [SAMPLE_CITY.parent / "labelled" / "minato.jsonl", DATA / "unseen_questions.jsonl"]
FOREIGN = [json.loads(line)
           for line in (DATA / "urgent_phrasings_foreign.jsonl").read_text(encoding="utf-8").splitlines()]
JAPANESE_SCRIPT = re.compile(r"[\u3041-\u30ff\u4e00-\u9fff]")


def questions(*files: Path) -> list[str]:
    return [json.loads(line)["text"] for path in files
            for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def client(sample_index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(index_dir=sample_index_dir, rate_per_session=1000, rate_per_address=10_000,
                        database_url=f"sqlite:///{tmp_path_factory.mktemp('urgent') / 'store.db'}")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def ask(client: TestClient, text: str) -> dict:
    response = client.post("/api/v1/ask", json={"text": text, "session_id": uuid.uuid4().hex})
    assert response.status_code == 200, response.text
    return response.json()


def test_the_sample_city_has_at_least_40_urgent_phrasings_including_kana_only_ones() -> None:
    kana_only = [p for p in PHRASINGS if all("ぁ" <= c <= "ゖ" or not c.isalpha() for c in p["text"])]
    assert len(PHRASINGS) >= 40 and len(kana_only) >= 5


@pytest.mark.parametrize("case", PHRASINGS, ids=[p["text"] for p in PHRASINGS])
def test_every_urgent_phrasing_is_answered_with_its_line_first(client: TestClient, case: dict) -> None:
    reply = ask(client, case["text"])
    assert reply.get("urgent") and reply["urgent"]["id"] == case["situation"], reply["message"]
    assert reply["message"].startswith(reply["urgent"]["text"])
    assert reply["decision"] == "answer" and not reply.get("choices") and not reply.get("escalation")


@pytest.mark.parametrize("case", FOREIGN, ids=[p["text"] for p in FOREIGN])
def test_an_emergency_written_in_another_language_gets_its_line_first(client: TestClient, case: dict) -> None:
    """「I want to die」 or 「nhà tôi bị cháy」 must not get death registration or garbage days: the same
    situations, the same numbers, and for text in Latin script or Hangul the notice in its language, and the
    reply says so (the widget stayed in English, not Japanese, after 「My mother collapsed」)."""
    reply = ask(client, case["text"])
    assert reply.get("urgent") and reply["urgent"]["id"] == case["situation"], reply["message"]
    assert reply["message"].startswith(reply["urgent"]["text"]) and reply["urgent"]["lines"]
    assert not reply.get("choices") and not reply.get("escalation")
    if case["language"] != "zh-Hans":
        assert not JAPANESE_SCRIPT.search(reply["urgent"]["title"]), reply["urgent"]["title"]
        # the widget speaks the resident's language and marks the notice's for screen readers
        assert reply["language"] == reply["answer_language"] == case["language"], reply


def test_ordinary_questions_in_other_languages_trigger_no_urgent_situation() -> None:
    recognise = UrgentSituations.from_settings(Settings()).run
    texts = [*questions(DATA / "foreign_questions.jsonl"),
             "Can I do fireworks in the park?", "Where do I throw away a fire extinguisher?",
             "I want to go on a diet, is there a health program?",
             "How much does it cost to call an ambulance?", "Is there a suicide prevention seminar?",
             "What should I prepare for a tsunami evacuation drill?",
             "Do I need fire insurance for my apartment?", "烟花可以在公园放吗", "灭火器怎么扔",
             "불꽃놀이 해도 되나요", "Como jogar fora um extintor de incêndio?",
             "My child needs a vaccination"]
    assert [text for text in texts if recognise(text)] == []


def test_a_translation_in_a_language_madoguchi_does_not_answer_is_refused_with_its_file(
        tmp_path: Path) -> None:
    broken = tmp_path / "urgent.yaml"
    broken.write_text("situations:\n  - id: fraud\n    translations:\n      fr:\n        title: Arnaque\n"
                      "        say: Raccrochez.\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"urgent\.yaml.*translation 'fr'"):
        UrgentSituations.from_settings(Settings(urgent_file=broken))


def test_a_sick_child_at_night_gets_8000_not_unrelated_choices(client: TestClient) -> None:
    reply = ask(client, "子どもが熱を出した。夜間にやってる病院は？")
    assert "#8000" in reply["message"] and "119" in reply["message"]
    assert reply.get("choices") is None and "平日 8:30" not in reply["message"]


def test_the_matching_entry_follows_the_urgent_notice(client: TestClient) -> None:
    reply = ask(client, "津波が来る、どこに逃げればいい？")
    assert reply["urgent"]["id"] == "disaster" and reply["answer"]["id"] == "R167"
    assert reply["message"].index("119") < reply["message"].index("津波警報")


def test_thoughts_of_suicide_get_the_city_and_national_lines_and_no_entry(client: TestClient) -> None:
    reply = ask(client, "死にたい")
    assert reply.get("answer") is None and reply.get("choices") is None
    assert "0123-45-1350" in reply["message"] and "0570-064-556" in reply["message"]  # city's, then national


def test_ordinary_sample_city_questions_trigger_no_urgent_situation_at_most_1_percent() -> None:
    recognise = UrgentSituations.from_settings(Settings()).run
    texts = questions(*LABELLED)
    triggered = [text for text in texts if recognise(text)]
    assert len(texts) >= 300 and len(triggered) <= 0.01 * len(texts), triggered


def test_someone_collapsing_now_is_urgent_but_a_collapse_already_cared_for_or_a_fallen_tree_is_not() -> None:
    recognise = UrgentSituations.from_settings(Settings()).run
    assert all(recognise(text) for text in ("人が倒れています", "道で倒れている人がいます", "父が倒れた"))
    settled = ("主人が倒れて入院しました。高額療養費は使えますか", "夫が倒れて介護が必要になった",
               "母が倒れたときに備えて見守りサービスを使いたい", "台風で庭の木が倒れた")
    assert not [text for text in settled if recognise(text)]


def test_night_words_beside_seeing_something_a_kettle_or_a_sick_pet_are_not_an_ambulance_question() -> None:
    """「みて」 (ホームページをみても) and やかん (a kettle, read as 夜間) beside 夜間・今から made everyday
    questions get only the ambulance advice; a pet sick at night needs an animal hospital, not 119."""
    recognise = UrgentSituations.from_settings(Settings()).run
    everyday = ("夜間に婚姻届を出したいです。ホームページをみてもよくわからない",
                "今から市役所に行きます。住民票の持ち物をみておきたい",
                "ヤカンは何ごみ？アプリでみてもわからない",
                "深夜にごみを出したら近所の人にみてられて注意された",
                "夜中に犬が吐いて元気がない。診てくれる病院は？")
    assert not [text for text in everyday if recognise(text)]
    assert recognise("夜中に熱が出た。今からみてもらえるところある？").id == "ambulance-unsure"  # type: ignore[union-attr]


def test_ordinary_localgovfaq_questions_trigger_no_urgent_situation_at_most_1_percent() -> None:
    queries = SHARED / "eval" / "localgovfaq" / "queries.jsonl"
    if not queries.exists():
        pytest.skip(f"{queries} not present (evaluation data is read at test time, never copied)")
    recognise = UrgentSituations.from_settings(Settings()).run
    texts = questions(queries)
    triggered = [text for text in texts if recognise(text)]
    assert len(triggered) <= 0.01 * len(texts), triggered


def test_a_city_file_rewrites_adds_and_switches_off_situations(tmp_path: Path) -> None:
    (tmp_path / "urgent.yaml").write_text("""situations:
  - id: suicide
    lines: ["テスト市 いのちの相談 0999-00-0001"]
  - id: fraud
    disabled: true
  - id: snow
    title: 大雪で閉じ込められた
    say: すぐに 119 番へ。
    lines: ["消防・救急 119"]
    when: ["雪|ゆき 閉じ込め|とじこめ|出られない"]
""", encoding="utf-8")
    urgent = UrgentSituations.from_settings(Settings(sources=[tmp_path]))
    assert "0999-00-0001" in urgent.run("しにたい").text  # type: ignore[union-attr]
    assert urgent.run("還付金があるからATMに行けと電話がきた") is None
    assert urgent.run("雪で家から出られない").id == "snow"  # type: ignore[union-attr]


def test_a_city_file_without_numbers_is_refused_with_its_name(tmp_path: Path) -> None:
    broken = tmp_path / "urgent.yaml"
    broken.write_text("situations:\n  - id: quake\n    title: 地震\n    say: 逃げて\n    when: [地震]\n",
                      encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"urgent\.yaml.*'quake' lacks lines"):
        UrgentSituations.from_settings(Settings(urgent_file=broken))


@pytest.fixture(scope="module")
def line(sample_index_dir: Path, recorder: Recorder,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("urgent-line")
    settings = Settings(index_dir=sample_index_dir, database_url=f"sqlite:///{folder / 'store.db'}",
                        data_dir=folder,
                        line_channel_secret=SECRET, line_channel_access_token="line-token",
                        line_api_base=recorder.url)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_line_sends_the_urgent_notice_before_the_answer_card(line: TestClient, recorder: Recorder) -> None:
    question = text_event("津波が来る、どこに逃げればいい？")
    assert signed(line, webhook(question)).status_code == 200
    [reply] = replies_to(recorder, question["replyToken"])
    assert reply["messages"][0]["type"] == "text" and "119" in reply["messages"][0]["text"]
    assert reply["messages"][1]["type"] == "flex"
