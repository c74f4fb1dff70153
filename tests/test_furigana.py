"""Furigana and やさしい日本語 over the web API, and the readings themselves against a hand-checked list."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.furigana import furigana_for
from channels.cli.app import app
from channels.server import create_app
from knowledge.core.errors import ConfigurationError
from knowledge.core.settings import Settings

pytestmark = pytest.mark.integration

TRICKY = Path(__file__).parent / "data" / "furigana_tricky.tsv"
SESSION = "furigana-session-0001"
HOSTILE = '<img src=x onerror="alert(1)">住民票は<script>alert("x")</script>市民課で1通300円&amp;です'
ONLY_RUBY = re.compile(r"</?(?:ruby|rt)>")


def tricky_rows() -> list[tuple[str, str, str]]:
    lines = TRICKY.read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t")) for line in lines if line and not line.startswith("#")]  # type: ignore[misc]


def plain(markup: str) -> str:
    """The text a ruby markup shows without its readings."""
    return html.unescape(ONLY_RUBY.sub("", re.sub(r"<rt>.*?</rt>", "", markup)))


@pytest.fixture(scope="module")
def client(sample_index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    store = tmp_path_factory.mktemp("furigana-store") / "store.db"
    settings = Settings(index_dir=sample_index_dir, database_url=f"sqlite:///{store}", rate_per_session=1000,
                        rate_per_address=10_000)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def ask(client: TestClient, text: str, **extra: object) -> dict:
    response = client.post("/api/v1/ask", json={"session_id": SESSION, "text": text, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def test_hand_checked_tricky_words_are_read_right() -> None:
    rows = tricky_rows()
    furigana = furigana_for(Settings())
    wrong = [(word, reading, [(w.text, w.reading) for w in furigana.words(sentence) if w.reading])
             for sentence, word, reading in rows
             if not any(w.text == word and w.reading == reading for w in furigana.words(sentence))]
    assert len(rows) == 50
    assert len(wrong) <= 1, wrong  # the target: ≥ 98 %


def test_a_city_readings_file_overrides_sudachi(tmp_path: Path) -> None:
    readings = tmp_path / "readings.tsv"
    readings.write_text("# 市の読み\n港南町\tこうなんまち\n", encoding="utf-8")
    words = furigana_for(Settings(furigana_readings_file=readings)).words("港南町の公民館")
    assert ("港南町", "こうなんまち") in [(w.text, w.reading) for w in words]


def test_a_malformed_readings_file_is_refused_with_its_line(tmp_path: Path) -> None:
    readings = tmp_path / "broken.tsv"
    readings.write_text("港南町\tこうなんまち\n北町 kitamachi\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="line 2"):
        furigana_for(Settings(furigana_readings_file=readings))


def test_ruby_comes_only_when_asked_and_shows_the_same_text(client: TestClient) -> None:
    without = ask(client, "児童手当はいつ振り込まれる？")
    assert "message_ruby" not in without and "text_ruby" not in without["answer"]
    reply = ask(client, "児童手当はいつ振り込まれる？", furigana=True)
    assert reply["decision"] == "answer"
    ruby = reply["answer"]["text_ruby"]
    assert ("<ruby>児童手当<rt>じどうてあて</rt></ruby>" in ruby
            and "<ruby>偶数月<rt>ぐうすうづき</rt></ruby>" in ruby
            and "<ruby>15日<rt>じゅうごにち</rt></ruby>" in ruby)
    assert plain(ruby) == reply["answer"]["text"] and plain(reply["message_ruby"]) == reply["message"]


def test_easy_japanese_answer_is_returned_beside_the_answer(client: TestClient) -> None:
    reply = ask(client, "児童手当はいつ振り込まれる？", furigana=True)
    assert reply["answer"]["text_easy"].startswith("児童手当は、1年に6回")
    assert plain(reply["answer"]["text_easy_ruby"]) == reply["answer"]["text_easy"]
    assert "<ruby>1年<rt>いちねん</rt></ruby>" in reply["answer"]["text_easy_ruby"]


def test_clarify_choices_carry_ruby_labels(client: TestClient) -> None:
    reply = ask(client, "カードをなくした", furigana=True)
    assert reply["decision"] == "clarify"
    assert all(plain(c["label_ruby"]) == c["label"] for c in reply["choices"])


def test_furigana_endpoint_escapes_everything_but_ruby(client: TestClient) -> None:
    response = client.post("/api/v1/furigana", json={"texts": [HOSTILE, "こんにちは"]})
    assert response.status_code == 200, response.text
    markup, greeting = response.json()["ruby"]
    assert set(re.findall(r"<[^>]*>", markup)) <= {"<ruby>", "</ruby>", "<rt>", "</rt>"}
    assert "&lt;script&gt;" in markup and "&amp;amp;" in markup and plain(markup) == HOSTILE
    assert greeting == "こんにちは"


@pytest.mark.parametrize("text, word, reading", [
    ("市役所は何時まで開いていますか", "何時", "なんじ"),
    ("燃やすごみの収集日はいつですか", "収集日", "しゅうしゅうび"),
    ("一日中あいています", "一日中", "いちにちじゅう")])
def test_words_sudachi_reads_otherwise_at_a_city_office_get_their_usual_reading(
        client: TestClient, text: str, word: str, reading: str) -> None:
    """何時 was read なんどき, 収集日 しゅうしゅう＋ひ, 一日中 いちにち＋ちゅう."""
    [markup] = client.post("/api/v1/furigana", json={"texts": [text]}).json()["ruby"]
    assert f"<ruby>{word}<rt>{reading}</rt></ruby>" in markup, markup


@pytest.mark.parametrize("body",
                         [{"texts": []}, {"texts": ["あ" * 4001]}, {"texts": ["a"] * 31}, {"text": "x"}])
def test_furigana_endpoint_refuses_bad_input_with_a_reason(client: TestClient, body: dict) -> None:
    response = client.post("/api/v1/furigana", json=body)
    assert response.status_code == 422 and response.json()["ok"] is False


def test_faq_text_is_never_trusted_as_html(tmp_path: Path, model_cache: Path) -> None:
    table = tmp_path / "faq.csv"
    table.write_text("id,question,answer,answer_easy\nH1,住民票の写しがほしい,\"" + HOSTILE.replace('"', '""')
                     + "\",<b>やさしい</b>説明\n", encoding="utf-8")
    index_dir = tmp_path / "index"
    built = CliRunner().invoke(app, ["index", "build", str(table), "--index-dir", str(index_dir)],
                               env={"MADOGUCHI_DATA_DIR": str(model_cache)})
    assert built.exit_code == 0, built.output
    settings = Settings(index_dir=index_dir, database_url=f"sqlite:///{tmp_path / 's.db'}",
                        answer_threshold=0.0)
    with TestClient(create_app(settings)) as hostile:
        reply = ask(hostile, "住民票の写しがほしい", furigana=True)["answer"]
    for markup in (reply["text_ruby"], reply["text_easy_ruby"]):
        assert set(re.findall(r"<[^>]*>", markup)) <= {"<ruby>", "</ruby>", "<rt>", "</rt>"}
    assert plain(reply["text_ruby"]) == HOSTILE and plain(reply["text_easy_ruby"]) == "<b>やさしい</b>説明"
