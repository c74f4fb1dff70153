"""Manuals and rules: passages keep their section path, source file and page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import docx
from pypdf import PdfWriter
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from knowledge.core.settings import SAMPLE_CITY
from knowledge.records import Audience
from knowledge.sources import load_sources

TODAY = date(2026, 11, 25)


def test_markdown_sections_carry_their_heading_path_and_front_matter(tmp_path: Path) -> None:
    (tmp_path / "rule.md").write_text(
        "---\ntitle: 旅費の手引き\naudience: staff\ndepartment: 総務課\n---\n"
        "# 第1章 旅費\n## 1.1 日当\n日当は2,200円です。\n## 1.2 宿泊料\n上限は10,900円です。\n",
        encoding="utf-8")
    records = load_sources([tmp_path], today=TODAY).records
    assert [r.section_path for r in records] == [("旅費の手引き", "第1章 旅費", "1.1 日当"),
                                                 ("旅費の手引き", "第1章 旅費", "1.2 宿泊料")]
    assert {r.audience for r in records} == {Audience.STAFF}
    assert records[0].question == "旅費の手引き > 第1章 旅費 > 1.1 日当"


def test_html_drops_navigation_and_footer(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        '<html><head><title>ごみガイド</title><meta name="madoguchi:department" '
        'content="ごみ減量推進課"></head>'
        "<body><nav>メニュー ホーム</nav><main><h1>粗大ごみ</h1><p>申込が必要です。</p>"
        "<h2>料金</h2><table><tr><th>品目</th><th>料金</th></tr><tr><td>ソファ</td><td>800円</td></tr></table>"
        "</main><footer>Copyright みなと市</footer></body></html>", encoding="utf-8")
    records = load_sources([tmp_path], today=TODAY).records
    text = "\n".join(r.answer for r in records)
    assert "ソファ ｜ 800円" in text and "メニュー" not in text and "Copyright" not in text
    assert records[-1].section_path == ("ごみガイド", "粗大ごみ", "料金")
    assert records[0].department == "ごみ減量推進課"


def make_pdf(path: Path, pages: list[list[str]]) -> Path:
    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    page_canvas = canvas.Canvas(str(path))
    for lines in pages:
        page_canvas.setFont("HeiseiKakuGo-W5", 11)
        for number, line in enumerate(lines):
            page_canvas.drawString(50, 800 - 18 * number, line)
        page_canvas.showPage()
    page_canvas.save()
    return path


def test_pdf_passages_know_their_page_and_chapter(tmp_path: Path) -> None:
    make_pdf(tmp_path / "manual.pdf",
             [["第1章 受付", "番号札を渡します。"], ["第2章 転入届", "本人確認書類を確認します。"]])
    (tmp_path / "manual.pdf.meta.yaml").write_text("title: 窓口マニュアル\naudience: staff\n",
                                                   encoding="utf-8")
    records = load_sources([tmp_path], today=TODAY).records
    assert [(r.page, r.section_path[-1]) for r in records] == [(1, "第1章 受付"), (2, "第2章 転入届")]
    assert records[1].location == "page 2" and records[1].audience is Audience.STAFF


def test_empty_pdf_is_reported_with_its_pages(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_blank_page(595, 842)
    writer.write(tmp_path / "scan.pdf")
    result = load_sources([tmp_path], today=TODAY)
    assert result.records == []
    assert [(p.location, p.severity) for p in result.problems] == [("page 1", "warning"),
                                                                   ("page 2", "warning"),
                                                                    ("", "error")]


def test_docx_heading_styles_become_sections(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("第1章 文書管理", level=1)
    document.add_heading("保存年限", level=2)
    document.add_paragraph("保存年限は1年、3年、5年、10年、30年です。")
    document.core_properties.title = "文書管理規程"
    document.save(tmp_path / "rules.docx")
    [record] = load_sources([tmp_path], today=TODAY).records
    assert record.section_path == ("文書管理規程", "第1章 文書管理", "保存年限")
    assert record.page is None and "30年" in record.answer


def test_bad_audience_in_front_matter_loads_nothing_from_that_file(tmp_path: Path) -> None:
    (tmp_path / "rule.md").write_text("---\naudience: secret\n---\n# 規程\n本文\n", encoding="utf-8")
    result = load_sources([tmp_path], today=TODAY)
    assert result.records == []
    assert (result.problems[0].location, result.problems[0].field) == ("metadata", "audience")


def test_sample_city_loads_without_problems() -> None:
    result = load_sources([SAMPLE_CITY], today=TODAY)
    assert result.problems == []
    faqs = [r for r in result.records if r.kind == "faq"]
    assert sum(r.audience is Audience.RESIDENT for r in faqs) >= 150
    assert all(r.department and r.contact for r in faqs)
    staff_rules = [r for r in result.records if r.kind == "passage" and r.audience is Audience.STAFF]
    assert {"人事課", "総務課"} <= {r.department for r in staff_rules}
    manuals = {r.source for r in result.records if r.kind == "passage" and r.audience is not Audience.STAFF}
    assert len(manuals) >= 2
