"""A city that builds its index from its own files (`madoguchi index build FILES…`, as the README shows)
keeps them: a table imported later, a desk publish or a build given no files reads those files again, not the
sample city that MADOGUCHI_SOURCES names when nothing sets it. And the sample city's crisis lines, with its
made-up phone numbers, never reach another city's residents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from channels.cli.app import app

pytestmark = pytest.mark.integration

HEADER = "id,question,answer,department,audience\n"
OWN = ("K001,粗大ごみの申し込み方法は,粗大ごみは前日までに電話で申し込みます。,環境課,resident\n"
       "K002,犬の登録はどこでできますか,犬の登録は保健所でできます。,衛生課,resident\n")
IMPORTED = "K003,猫の登録は必要ですか,猫の登録はいりません。,衛生課,resident\n"


@pytest.fixture()
def city(tmp_path: Path, model_cache: Path) -> tuple[CliRunner, dict[str, str], Path]:
    folder = tmp_path / "kita"
    folder.mkdir()
    (folder / "faq.csv").write_text(HEADER + OWN, encoding="utf-8")
    env = {"MADOGUCHI_DATA_DIR": str(model_cache), "MADOGUCHI_INDEX_DIR": str(tmp_path / "index"),
           "MADOGUCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}  # no MADOGUCHI_SOURCES, as README
    runner = CliRunner()
    built = runner.invoke(app, ["index", "build", str(folder)], env=env)
    assert built.exit_code == 0, built.output
    return runner, env, folder


def test_an_imported_table_is_added_to_the_city_s_own_files_not_to_the_sample_city(
        city: tuple[CliRunner, dict[str, str], Path], tmp_path: Path) -> None:
    runner, env, folder = city
    table = tmp_path / "import.csv"
    table.write_text(HEADER + IMPORTED, encoding="utf-8")
    imported = runner.invoke(app, ["kb", "import", str(table)], env=env)
    assert imported.exit_code == 0, imported.output
    info = json.loads(runner.invoke(app, ["index", "info"], env=env).output)
    assert info["counts"]["records"] == 3
    assert set(info["sources"]) == {str(folder / "faq.csv"), "desk"}
    assert info["built_from"] == [str(folder)]
    rebuilt = runner.invoke(app, ["index", "build"], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert json.loads(runner.invoke(app, ["index", "info"], env=env).output)["counts"]["records"] == 3


def test_a_city_without_crisis_lines_of_its_own_never_shows_the_sample_city_s(
        city: tuple[CliRunner, dict[str, str], Path]) -> None:
    runner, env, _ = city
    reply = runner.invoke(app, ["ask", "もう死にたい"], env=env)
    assert reply.exit_code == 0, reply.output
    assert "いのちの電話" in reply.output  # the national lines
    assert "みなと市" not in reply.output and "0123-45-1350" not in reply.output
