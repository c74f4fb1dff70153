"""The index through the front door: `madoguchi index build`, `index info`, `search`."""

from __future__ import annotations

import gc
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.service.publishing import build_from_settings
from channels.cli.app import app
from indexer.store import IndexStore
from knowledge.core.settings import SAMPLE_CITY, Settings

pytestmark = pytest.mark.integration

TINY = ("id,question,answer,department,audience\nT1,住民票の写しは？,市民課で300円です。,市民課,resident\n"
        "T2,年休の残りは？,みなとポータルで確認します。,人事課,staff\n")


def search_ids(cli: CliRunner, index_dir: Path, text: str, audience: str = "resident",
               top_k: int = 10) -> list[str]:
    result = cli.invoke(app, ["search", text, "--index-dir", str(index_dir), "--json", "--top-k", str(top_k),
                              "--audience", audience])
    assert result.exit_code == 0, result.output
    return [json.loads(line)["id"] for line in result.output.splitlines() if line.startswith("{")]


def sample_question_id(fragment: str) -> str:
    import csv

    for path in sorted((SAMPLE_CITY / "faq").glob("*.csv")):
        for row in csv.DictReader(path.open(encoding="utf-8")):
            if fragment in row["question"]:
                return row["id"]
    raise AssertionError(f"no sample FAQ question contains {fragment!r}")


@pytest.fixture()
def tiny_index(tmp_path: Path) -> tuple[Path, Path]:
    source = tmp_path / "faq.csv"
    source.write_text(TINY, encoding="utf-8")
    index_dir = tmp_path / "index"
    build_from_settings(Settings(index_dir=index_dir, sources=[source]))
    return source, index_dir


def test_sample_city_search_finds_the_matching_faq(cli: CliRunner, sample_index_dir: Path) -> None:
    expected = sample_question_id("住民票の写し")
    assert expected in search_ids(cli, sample_index_dir, "じゅうみんひょうのうつしが欲しい", top_k=3)


def test_resident_never_sees_staff_rules(cli: CliRunner, sample_index_dir: Path) -> None:
    for text in ("年次有給休暇は何日", "出張の日当と宿泊料", "文書の保存年限", "職員向け 勤務時間"):
        ids = search_ids(cli, sample_index_dir, text, top_k=50)
        assert not [i for i in ids if i.startswith(("S", "kinmu-kyuka", "ryohi-bunsho"))], (text, ids)


def test_staff_find_their_rules(cli: CliRunner, sample_index_dir: Path) -> None:
    ids = search_ids(cli, sample_index_dir, "出張の日当はいくら", audience="staff", top_k=5)
    assert any(i.startswith(("S", "ryohi-bunsho")) for i in ids)


def test_index_info_shows_manifest_with_counts_and_model(cli: CliRunner, sample_index_dir: Path) -> None:
    result = cli.invoke(app, ["index", "info", "--index-dir", str(sample_index_dir)])
    manifest = json.loads(result.output)
    assert manifest["model"]["name"] == "chive-ja-ginza" and manifest["model"]["dimensions"] == 300
    assert manifest["counts"]["audiences"]["staff"] >= 30
    assert manifest["tokenizer"]["split_mode"] == "A" and len(manifest["corpus_hash"]) == 16


def test_build_reports_records_per_source_and_problems(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "faq.csv").write_text(TINY + "T3,回答なし,,市民課,resident\n", encoding="utf-8")
    result = cli.invoke(app,
                        ["index", "build", str(tmp_path / "faq.csv"), "--index-dir", str(tmp_path / "i")])
    assert result.exit_code == 0, result.output
    assert "4 行目" in result.output and "answer" in result.output and "空です" in result.output
    assert "2 records" in result.output


def test_strict_build_fails_and_keeps_the_live_index(cli: CliRunner, tiny_index: tuple[Path, Path]) -> None:
    source, index_dir = tiny_index
    before = IndexStore(index_dir).current_version()
    source.write_text(TINY + "T3,回答なし,,市民課,resident\n", encoding="utf-8")
    result = cli.invoke(app, ["index", "build", str(source), "--index-dir", str(index_dir), "--strict"])
    assert result.exit_code == 1
    assert IndexStore(index_dir).current_version() == before


def test_interrupted_build_leaves_the_old_index_serving(tiny_index: tuple[Path, Path]) -> None:
    source, index_dir = tiny_index
    store = IndexStore(index_dir)
    before = store.current_version()

    def interrupt(stage: str, done: int, total: int) -> None:
        if stage == "embed":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_from_settings(Settings(index_dir=index_dir, sources=[source]), progress=interrupt)
    assert store.current_version() == before
    assert list(store.versions.glob(".staging-*")) == []


def test_rebuild_replaces_the_index_and_old_version_can_be_restored(cli: CliRunner,
                                                                    tiny_index: tuple[Path, Path]) -> None:
    source, index_dir = tiny_index
    first = IndexStore(index_dir).current_version()
    source.write_text(TINY + "T3,粗大ごみは？,予約制です。,ごみ減量推進課,resident\n", encoding="utf-8")
    build_from_settings(Settings(index_dir=index_dir, sources=[source]))
    assert "T3" in search_ids(cli, index_dir, "粗大ごみ")
    second = IndexStore(index_dir).current_version()
    assert cli.invoke(app, ["index", "use", first, "--index-dir", str(index_dir)]).exit_code == 0
    assert "T3" not in search_ids(cli, index_dir, "粗大ごみ")
    again = cli.invoke(app, ["index", "use", first, "--index-dir", str(index_dir)])
    assert again.exit_code == 0 and "already the live index" in again.output
    with open(index_dir / "HISTORY", "a", encoding="utf-8") as log:
        log.write('{"version": "cut short by a crash", "at"\n')
    history = cli.invoke(app, ["index", "history", "--index-dir", str(index_dir), "--json"])
    assert [(h["version"], h["note"]) for h in map(json.loads, history.output.splitlines())] == [
        (first, "made live again"), (second, "built"), (first, "built")]


def test_a_build_given_no_files_refuses_when_the_live_version_cannot_be_read_and_index_use_still_rolls_back(
        cli: CliRunner, tiny_index: tuple[Path, Path]) -> None:
    """A damaged live manifest (or a version not copied to this server yet) used to make a build given no
    files, and so every desk publish, rebuild the sample city and publish it over the city's own FAQ; and
    `index use` could not roll back while the pointer named a missing version."""
    _, index_dir = tiny_index
    good = IndexStore(index_dir).current_version()
    (index_dir / "CURRENT").write_text("20990101T000000000000Z-00000000\n", encoding="utf-8")
    built = cli.invoke(app, ["index", "build", "--index-dir", str(index_dir)])
    assert built.exit_code != 0 and "MADOGUCHI_SOURCES" in built.output + str(built.exception)
    assert IndexStore(index_dir).list_versions() == [good]
    assert cli.invoke(app, ["index", "use", good, "--index-dir", str(index_dir)]).exit_code == 0
    assert search_ids(cli, index_dir, "住民票") == ["T1"]


def test_a_version_made_live_again_by_hand_survives_the_next_build(tiny_index: tuple[Path, Path]) -> None:
    """`index use` went back to a version older than the newest kept ones; the next build (a desk publish)
    must not delete it, or there is nothing to go back to."""
    source, index_dir = tiny_index
    first = IndexStore(index_dir).current_version()
    settings = Settings(index_dir=index_dir, sources=[source], keep_versions=2)
    source.write_text(TINY + "T3,粗大ごみは？,予約制です。,ごみ減量推進課,resident\n", encoding="utf-8")
    build_from_settings(settings)
    IndexStore(index_dir).activate(first, "made live again")
    source.write_text(TINY + "T4,粗大ごみは？,予約制です。,ごみ減量推進課,resident\n", encoding="utf-8")
    build_from_settings(settings)
    assert first in IndexStore(index_dir).list_versions()
    assert len(IndexStore(index_dir).list_versions()) == 3  # the newest two and the one live before


def test_index_built_with_other_tokenizer_is_refused_with_rebuild_hint(
        cli: CliRunner, tiny_index: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MADOGUCHI_SPLIT_MODE", "C")
    result = cli.invoke(app, ["search", "住民票", "--index-dir", str(tiny_index[1])])
    assert result.exit_code == 1
    assert "split_mode" in str(result.exception) and "madoguchi index build" in str(result.exception)


def test_damaged_index_is_refused(tiny_index: tuple[Path, Path]) -> None:
    from indexer.runtime import load_runtime
    from knowledge.core.errors import CorruptIndexError

    index_dir = tiny_index[1]
    (IndexStore(index_dir).current_dir() / "dense.faiss").unlink()
    with pytest.raises(CorruptIndexError, match="rebuild"):
        load_runtime(Settings(index_dir=index_dir))


def test_serve_starts_on_an_older_version_when_the_live_manifest_is_damaged(
        tiny_index: tuple[Path, Path]) -> None:
    """The workers fall back to the newest older version that loads (README), but `serve`'s check before
    them stopped at the damaged manifest; with no older version it still refuses."""
    from indexer.runtime import check_live_version, running_identity
    from knowledge.core.errors import CorruptIndexError

    source, index_dir = tiny_index
    settings = Settings(index_dir=index_dir, sources=[source])
    store = IndexStore(index_dir)
    only = store.current_version()
    (store.versions / only / "manifest.json").write_text("garbage", encoding="utf-8")
    with pytest.raises(CorruptIndexError):
        check_live_version(store, *running_identity(settings))
    store.activate(only)  # what a city would do after fixing it; here: build again, then damage the new one
    (store.versions / only / "manifest.json").unlink()
    store.versions.joinpath(only).rename(store.versions / f"{only}-gone")
    build_from_settings(settings)
    build_from_settings(settings)
    live = store.current_version()
    (store.versions / live / "manifest.json").write_text("garbage", encoding="utf-8")
    check_live_version(store, *running_identity(settings))  # an older version will serve


def test_console_command_explains_missing_index(tmp_path: Path, model_cache: Path) -> None:
    env = {"PATH": str(Path(sys.executable).parent), "MADOGUCHI_DATA_DIR": str(model_cache),
           "HOME": str(tmp_path)}
    command = shutil.which("madoguchi", path=env["PATH"]) or "madoguchi"
    result = subprocess.run([command, "search", "住民票", "--index-dir", str(tmp_path / "none")],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 1
    assert "madoguchi index build" in result.stderr and "Traceback" not in result.stderr


def test_staff_records_keep_their_audience_in_the_index(sample_index_dir: Path) -> None:
    folder = IndexStore(sample_index_dir).current_dir()
    records = [json.loads(line)
               for line in (folder / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    staff = {r["id"] for r in records if r["audience"] == "staff"}
    assert {r["id"] for r in records if r["id"].startswith("S")} <= staff
    assert any(r["source"].endswith("kinmu-kyuka.md") for r in records if r["id"] in staff)


def make_operator_model(folder: Path) -> Path:
    """A tiny sentence-transformers model an operator might download (here built offline, in-process)."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tokenizers import Tokenizer, models, pre_tokenizers

    words = ["[UNK]", "住", "民", "票", "年", "休", "ご", "み"]
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    rng = __import__("numpy").random.default_rng(0)
    module = StaticEmbedding(tokenizer, embedding_weights=rng.normal(size=(len(words), 16)).astype("float32"))
    SentenceTransformer(modules=[module], device="cpu").save(str(folder))
    return folder


def test_any_sentence_transformers_directory_can_replace_the_default_model(
        cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = make_operator_model(tmp_path / "operator-model")
    source = tmp_path / "faq.csv"
    source.write_text(TINY, encoding="utf-8")
    monkeypatch.setenv("MADOGUCHI_MODEL", str(model))
    monkeypatch.setenv("MADOGUCHI_QUERY_PROMPT", "検索クエリ: ")
    result = cli.invoke(app, ["index", "build", str(source), "--index-dir", str(tmp_path / "i")])
    assert result.exit_code == 0, result.output
    manifest = IndexStore(tmp_path / "i").manifest()
    assert manifest["model"]["dimensions"] == 16 and manifest["model"]["query_prompt"] == "検索クエリ: "
    assert "T1" in search_ids(cli, tmp_path / "i", "住民票")
    monkeypatch.delenv("MADOGUCHI_MODEL")
    refused = cli.invoke(app, ["search", "住民票", "--index-dir", str(tmp_path / "i")])
    assert refused.exit_code == 1 and "model name" in str(refused.exception)


def test_build_drops_script_and_data_links_but_keeps_their_entries_naming_file_row_and_column(
        cli: CliRunner, tmp_path: Path) -> None:
    rows = ("番号,質問,回答,参照URL\n"
            "L1,住民票の写しは？,市民課で取れます。,https://www.city.minato.example.jp/shimin/\n"
            "L2,窓口の電話は？,代表番号へどうぞ。,tel:03-1234-5678\n"
            "L3,メールで聞けますか,はい。,mailto:info@city.minato.example.jp\n"
            "L4,罠その1,回答,javascript:alert(document.domain)\n"
            "L5,罠その2,回答,data:text/html;base64,PHNjcmlwdD4=\n"
            "L6,罠その3,回答, JaVa\tScRiPt:alert(1)\n"
            "L7,相談は,回答,なし\n"
            "L8,一覧は,回答,https://www.city.minato.example.jp/ichiran/ （一覧）\n"
            "L9,夜間の相談は,回答,tel:#8000\n")
    (tmp_path / "links.csv").write_text(rows, encoding="utf-8")
    (tmp_path / "manual.md").write_text("---\nurl: javascript:alert(1)\n---\n# 手引き\n本文\n",
                                        encoding="utf-8")
    result = cli.invoke(app, ["index", "build", str(tmp_path), "--index-dir", str(tmp_path / "i")],
                        env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert "9 records" in result.output
    for row in ("5 行目", "6 行目", "7 行目", "8 行目"):
        assert re.search(rf"links\.csv\s*│\s*{row}\s*│\s*参照URL\s*│\s*使えるリンクは http, https, tel, "
                         r"mailto だけ",
                         result.output), row
    assert "リンクなしで読み込みます" in result.output and "'（一覧）' は使いません" in result.output
    assert re.search(r"manual\.md\s*│\s*属性（前付け・\.meta\.yaml）\s*│\s*url\s*│", result.output)
    index = IndexStore(tmp_path / "i")
    records = [json.loads(line) for line in (index.current_dir() / "records.jsonl").read_text().splitlines()]
    assert sorted((r["id"], r["url"]) for r in records) == [
        ("L1", "https://www.city.minato.example.jp/shimin/"), ("L2", "tel:03-1234-5678"),
        ("L3", "mailto:info@city.minato.example.jp"), ("L4", ""), ("L5", ""), ("L6", ""), ("L7", ""),
        ("L8", "https://www.city.minato.example.jp/ichiran/"), ("L9", "tel:%238000")]


@pytest.mark.parametrize("enabled", [True, False])
def test_a_build_leaves_the_cycle_collector_as_it_found_it(cli: CliRunner, tmp_path: Path,
                                                           enabled: bool) -> None:
    (gc.enable if enabled else gc.disable)()  # a build pauses it for its own work only
    try:
        result = cli.invoke(app, ["index", "build", str(SAMPLE_CITY), "--index-dir", str(tmp_path)])
        assert result.exit_code == 0, result.output
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
