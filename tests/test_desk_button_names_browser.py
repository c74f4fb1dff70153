"""Every desk page in real headless Chromium, filled the way a working desk is (several hand-overs, two of
them the same question, labels, drafts, three accounts): no two buttons, links or disclosure summaries
inside <main> share an accessible name, as Chromium computes it for a screen reader's list of controls, and
every name starts with the words on screen (WCAG 2.5.3 Label in Name), so 「学習に使う」 says which
question, and a voice-control user can still say what they see.

Links with the same name and the same address count once: they go to the same place (the entry 「R019」
linked from two tables), which is what a screen-reader user expects of equal names."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest

from knowledge.core.settings import Settings
from testing.browser import needs_chromium, served
from testing.desk import PASSWORD, add_user
from testing.widget import resident_asks

pytestmark = needs_chromium

ROLES = {"button", "link", "DisclosureTriangle"}  # DisclosureTriangle: a <summary>, read as a button
ASKED_TWICE = "転入届に必要なものは？"  # two residents, two hand-overs: the queue's links must still differ
PAGES = ("queue", "review", "learned", "search", "entries", "entry", "users", "escalation", "health",
         "stats", "audit", "kb")


class Control(NamedTuple):
    role: str
    name: str
    href: str
    visible: str


def picks(server: str, text: str) -> None:
    """A resident asks, is offered choices and picks the first: a weak label the editor may accept."""
    session = uuid.uuid4().hex
    offered = httpx.post(server + "/api/v1/ask", json={"text": text, "session_id": session},
                         timeout=60).json()
    assert offered["decision"] == "clarify", offered
    httpx.post(server + "/api/v1/ask", json={"choice_id": offered["choices"][0]["id"], "session_id": session},
               timeout=60).raise_for_status()


@pytest.fixture(scope="module")
def server(sample_index_dir: Path, tmp_path_factory: pytest.TempPathFactory,
           model_cache: Path) -> Iterator[tuple[str, list[str]]]:
    """The sample city with an administrator and two more accounts, four hand-overs (one question asked by
    two residents) and two residents' picks; yields the base URL and the hand-overs' ids."""
    store_url = f"sqlite:///{tmp_path_factory.mktemp('desk-names') / 'store.db'}"
    for name, role in (("tanaka", "admin"), ("sato", "agent"), ("suzuki", "editor")):
        add_user(store_url, model_cache, name, role)
    settings = Settings(data_dir=model_cache, index_dir=sample_index_dir, database_url=store_url,
                        index_poll_seconds=0, rate_per_session=1000, rate_per_address=10_000)
    with served(settings) as base:
        asked = ("住民票の写しがほしい", ASKED_TWICE, ASKED_TWICE, "市営プールの更衣室にロッカーはある？")
        handed = [resident_asks(base, text, "担当者と話したい") for text in asked]
        for text in ("ごみの出し方", "カードをなくした"):
            picks(base, text)
        yield base, handed


@pytest.fixture(scope="module")
def desk(browser, server: tuple[str, list[str]]) -> Iterator[tuple[Any, dict[str, str]]]:  # type: ignore[no-untyped-def]
    """The administrator signed in, after labelling two hand-overs and making FAQ drafts of two answered
    ones; yields the page and the path of each page to check."""
    base, handed = server
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    page.goto(base + "/desk/login")
    page.get_by_label("ユーザー名").fill("tanaka")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(base + "/desk")
    for escalation_id in handed[:2]:
        page.goto(f"{base}/desk/escalations/{escalation_id}")
        with page.expect_navigation():
            page.get_by_role("button", name="この FAQ で答えられる").first.click()
    for escalation_id in handed[1:3]:
        page.goto(f"{base}/desk/escalations/{escalation_id}")
        with page.expect_navigation():
            page.get_by_role("button", name="担当する").click()
        page.locator("#reply").fill("転入届は市民課の窓口で受け付けています。本人確認書類をお持ちください。")
        with page.expect_navigation():
            page.get_by_role("button", name="返信する").click()
        with page.expect_navigation():
            page.get_by_role("button", name="FAQにする").click()
    entry = page.url.removeprefix(base).split("?")[0]
    assert entry.startswith("/desk/entries/"), entry
    yield page, {"queue": "/desk?status=all", "review": "/desk/review", "learned": "/desk/learned",
                 "search": "/desk/search?q=粗大ごみ", "entries": "/desk/entries", "entry": entry,
                 "users": "/desk/admin/users", "escalation": f"/desk/escalations/{handed[0]}",
                 "health": "/desk/health", "stats": "/desk/stats", "audit": "/desk/admin/audit",
                 "kb": "/desk/kb"}
    context.close()


def controls(page) -> list[Control]:  # type: ignore[no-untyped-def]
    """The buttons, links and summaries inside <main> with the names Chromium's accessibility tree gives
    them (what a screen reader lists), their addresses and the text they show."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.getDocument", {"depth": 0})
        main = cdp.send("Runtime.evaluate", {"expression": "document.querySelector('main')"})
        found = []
        for node in cdp.send("Accessibility.queryAXTree", {"objectId": main["result"]["objectId"]})["nodes"]:
            role = node.get("role", {}).get("value")
            if node.get("ignored") or role not in ROLES:
                continue
            element = cdp.send("DOM.resolveNode", {"backendNodeId": node["backendDOMNodeId"]})["object"]
            ours, href, visible = cdp.send("Runtime.callFunctionOn", {
                "objectId": element["objectId"], "returnByValue": True,
                "functionDeclaration": "function () { return [this.getRootNode() === document, "
                                       "this.getAttribute('href') || '', this.innerText]; }",
            })["result"]["value"]
            if not ours:  # inside a field's own shadow tree: Chromium's 「Show date picker」 of a date field
                continue
            found.append(Control(role, " ".join(node.get("name", {}).get("value", "").split()), href,
                                 " ".join(visible.split())))
        return found
    finally:
        cdp.detach()


def repeated(found: list[Control]) -> dict[str, int]:
    """Names given to more than one control, with how many; a link counted once per address."""
    distinct = {(c.name, c.href if c.role == "link" else str(i)) for i, c in enumerate(found)}
    return {name: count for name, count in Counter(name for name, _ in distinct).items() if count > 1}


@pytest.fixture(scope="module")
def seen(desk: tuple[Any, dict[str, str]], server: tuple[str, list[str]]) -> dict[str, list[Control]]:
    page, paths = desk
    found = {}
    for key in PAGES:
        page.goto(server[0] + paths[key])
        page.evaluate("() => document.querySelectorAll('main details').forEach(d => { d.open = true; })")
        found[key] = controls(page)
    return found


@pytest.mark.parametrize("key", PAGES)
def test_no_two_controls_on_a_desk_page_share_a_name(seen: dict[str, list[Control]], key: str) -> None:
    left = repeated(seen[key])
    assert left == {}


@pytest.mark.parametrize("key", PAGES)
def test_every_controls_name_starts_with_its_visible_words(seen: dict[str, list[Control]], key: str) -> None:
    def squeezed(text: str) -> str:
        return "".join(text.split())

    assert [c for c in seen[key] if not squeezed(c.name).startswith(squeezed(c.visible))] == []


def test_the_pages_are_filled_enough_to_repeat_controls(seen: dict[str, list[Control]]) -> None:
    """What made the names repeat before they named their row: if the sample city stops producing them,
    the check above proves nothing."""
    def starting(key: str, words: str) -> int:
        return sum(c.name.startswith(words) for c in seen[key])

    assert starting("learned", "学習に使う") >= 2 and starting("learned", "外す") >= 4
    assert starting("review", "新しい FAQ の下書きを作る") >= 2
    assert starting("search", "この回答で対応") >= 2 and starting("search", "回答をコピー") >= 2
    assert starting("entries", "引き継ぎ") >= 2
    assert starting("users", "変える") == 2 and starting("users", "無効にする") == 2
    assert starting("queue", ASKED_TWICE.rstrip("？")) == 2


def test_the_copy_buttons_name_says_what_it_shows_while_it_says_copied(  # type: ignore[no-untyped-def]
        desk, server: tuple[str, list[str]]) -> None:
    page, paths = desk
    page.goto(server[0] + paths["search"])
    result = page.locator("details.result").first
    result.locator("summary").click()
    result.locator("button.copy").click()
    page.wait_for_function("() => document.querySelector('button.copy').textContent !== '回答をコピー'")
    copy = next(c for c in controls(page) if c.role == "button" and c.visible.startswith("コピー"))
    assert copy.name == f"{copy.visible} {result.locator('.title').inner_text()}"
