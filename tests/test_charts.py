"""The desk's SVG charts and CSV: well-formed, escaped, no inline styles, and safe to open in Excel."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from channels.desk.charts import bar_chart, gridlines, stacked_chart
from channels.desk.stats_csv import cell

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & 課\x07'


def test_bar_chart_is_valid_svg_with_title_desc_and_escaped_labels() -> None:
    chart = bar_chart("departments", "担当課 <b>ごと</b>", "説明 & 注記", [HOSTILE, "市民課"], [3, 12], "件")
    root = ET.fromstring(str(chart.svg))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    ids = {element.get("id"): element for element in root.iter() if element.get("id")}
    assert [ids[i].text
            for i in root.get("aria-labelledby", "").split()] == ["担当課 <b>ごと</b>", "説明 & 注記"]
    tips = [t.text for t in root.iter(f"{SVG}title")]
    assert '<script>alert("x")</script> & 課: 3件' in tips
    assert "<script" not in str(chart.svg) and "style=" not in str(chart.svg)
    assert len(list(root.iter(f"{SVG}rect"))) == 2


def test_bar_lengths_follow_the_values() -> None:
    root = ET.fromstring(str(bar_chart("b", "t", "d", ["a", "b"], [5, 10], "件").svg))
    short, long = (float(r.get("width", 0)) for r in root.iter(f"{SVG}rect"))
    assert long == pytest.approx(2 * short)


def test_the_table_alternative_carries_every_figure_escaped() -> None:
    chart = stacked_chart("days", "日ごと", "説明", ["05-01", "05-02"], {HOSTILE: [1, 0], "LINE": [2, 4]},
                          "件")
    table = ET.fromstring(str(chart.table))
    rows = [[cell.text for cell in row] for row in table.iter("tr")]
    assert rows[0] == [None, '<script>alert("x")</script> & 課', "LINE", "合計"]
    assert rows[1:] == [["05-01", "1", "2", "3"], ["05-02", "0", "4", "4"]]


def test_stacked_chart_draws_one_rect_per_nonzero_value_plus_the_legend() -> None:
    chart = stacked_chart("days", "日ごと", "説明", ["05-01", "05-02"], {"ウェブ": [1, 0], "LINE": [2, 4]},
                          "件")
    root = ET.fromstring(str(chart.svg))
    assert len(list(root.iter(f"{SVG}rect"))) == 3 + 2
    assert "style=" not in str(chart.svg)


def test_an_empty_period_still_draws_a_valid_chart() -> None:
    for chart in (stacked_chart("e", "t", "d", [], {}, "件"), bar_chart("f", "t", "d", [], [], "件")):
        assert ET.fromstring(str(chart.svg)).tag == f"{SVG}svg"


@pytest.mark.parametrize(("largest", "expected"), [(0, [0, 1]), (3, [0, 1, 2, 3]), (12, [0, 5, 10, 15]),
                                                   (100, [0, 50, 100]), (1234, [0, 500, 1000, 1500])])
def test_gridlines_fall_on_round_whole_numbers(largest: float, expected: list[float]) -> None:
    assert gridlines(largest) == expected


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://evil\")", "+1+1", "-2+3", "@SUM(A1)"])
def test_csv_cells_that_excel_would_run_as_formulas_are_neutralised(text: str) -> None:
    assert cell(text) == "'" + text


def test_csv_numbers_stay_numbers() -> None:
    assert (cell(-3), cell(42.0), cell(12.5), cell(None),
            cell("市民課")) == ("-3", "42", "12.5", "", "市民課")
