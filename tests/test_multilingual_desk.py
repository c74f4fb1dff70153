"""The desk shows the language a resident wrote in, as the bot detected it."""

from __future__ import annotations

import re

from testing.desk import signed_in  # noqa: F401 (the desk's fixtures)
from testing.desk_city import app, ask, store_url  # noqa: F401 (the desk's fixtures)


def test_an_escalation_from_an_english_question_shows_english_in_the_desk(app: object) -> None:  # noqa: F811
    escalation_id = ask(app, "Something about my neighbour's noisy parrot", "I want to talk to a person")
    page = signed_in(app, "agent1").get(f"/desk/escalations/{escalation_id}").text
    assert re.search(r'<dd id="language">English</dd>', page)
    japanese = ask(app, "担当者と話したい")
    assert '<dd id="language">日本語</dd>' in signed_in(app,
                                                        "agent1").get(f"/desk/escalations/{japanese}").text


def test_an_agent_is_shown_five_candidates_for_a_foreign_question_as_for_a_japanese_one(
        app: object) -> None:  # noqa: F811
    escalation_id = ask(app, "I lost my My Number card.", "I want to talk to a person")
    page = signed_in(app, "agent1").get(f"/desk/escalations/{escalation_id}").text
    listed = re.search(r"<h2>ボットの候補</h2>.*?<tbody>(.*?)</tbody>", page, re.S)
    assert listed is not None and listed.group(1).count("<tr>") == 5
    assert "R046" in listed.group(1)
