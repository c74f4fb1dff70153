"""A manual's section that only repeats a question must not come before the FAQ entry that answers it.

The day-one sum puts a manual's section after an entry that matches as well (bot/fusion.py, −1). A section
whose heading is the question and whose body only says the guide explains it held the question's words more
densely than the entry's answer and still came first, until the sum took up to 0.5 more off a section that
says fewer than ten words beyond the question (bot/fusion.py `brief`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from channels.cli.app import app

FAQ = """id,question,answer,department,audience
F1,粗大ごみの出し方を教えてください。,粗大ごみは申込制です。粗大ごみ受付センターに電話かインターネットで申し込み、コンビニで処理券を買って品物に貼り、決められた収集日の朝8時までに玄関先に出してください。,粗大ごみ受付センター,resident
F2,燃やすごみの収集日はいつですか。,燃やすごみは地区ごとに週2回収集します。収集日はごみカレンダーで確かめてください。,環境課,resident
F3,住民票の写しを取りたい。,住民票の写しは市民課の窓口かコンビニで取れます。本人確認書類を持ってきてください。,市民課,resident
F4,犬の登録はどこでできますか。,犬を飼い始めたら30日以内に生活衛生課で登録してください。,生活衛生課,resident
F5,資源ごみの出し方を知りたい。,びん・缶・ペットボトルは洗って、資源ごみの日に集積所へ出してください。,環境課,resident
"""
GUIDE = """# 粗大ごみの出し方ガイド

最終更新 2026年4月1日

## 粗大ごみの出し方

このガイドでは、粗大ごみの出し方を説明します。

## 申込み

電話またはインターネットで申し込んでください。
"""


@pytest.fixture(scope="module")
def city_index(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Path:
    """Five FAQ entries and one guide, built through the command line."""
    folder = tmp_path_factory.mktemp("guide-city")
    (folder / "faq.csv").write_text(FAQ, encoding="utf-8")
    (folder / "guide.md").write_text(GUIDE, encoding="utf-8")
    index_dir = folder / "index"
    sources = [str(folder / "faq.csv"), str(folder / "guide.md")]
    result = CliRunner().invoke(app, ["index", "build", *sources, "--index-dir", str(index_dir)],
                                env={"MADOGUCHI_DATA_DIR": str(model_cache)})
    assert result.exit_code == 0, result.output
    return index_dir


def first_result(cli: CliRunner, index_dir: Path, question: str, tmp_path: Path) -> str:
    batch, out = tmp_path / "questions.jsonl", tmp_path / "replies.jsonl"
    batch.write_text(json.dumps({"id": "q", "text": question}, ensure_ascii=False) + "\n", encoding="utf-8")
    result = cli.invoke(app, ["ask", "--index-dir", str(index_dir), "--batch", str(batch), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return str(json.loads(out.read_text(encoding="utf-8"))["results"][0]["id"])


def test_the_entry_that_answers_comes_before_the_guide_on_other_wordings(
        cli: CliRunner, city_index: Path, tmp_path: Path) -> None:
    question = "粗大ごみを捨てたいのですが、どう申し込めばいいですか"
    assert first_result(cli, city_index, question, tmp_path) == "F1"


def test_a_section_that_only_repeats_the_question_does_not_come_before_the_entry(
        cli: CliRunner, city_index: Path, tmp_path: Path) -> None:
    assert first_result(cli, city_index, "粗大ごみの出し方", tmp_path) == "F1"
