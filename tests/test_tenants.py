"""Many cities on one server, through the front door: `madoguchi tenants build`, then each city's host name.

Two small cities (あさひ市, かわせ市) with their own FAQ tables and staff-only rules, and a prefectural
shared table; once with SQLite files per city, once with a PostgreSQL schema per city.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.store.tables import Escalation, Turn
from channels.cli.app import app as cli_app
from channels.server.tenants.config import read_tenants
from channels.server.tenants.server import create_tenants_app
from knowledge.core.errors import ConfigurationError
from knowledge.core.settings import Settings
from testing.database import postgres_schema_url
from testing.live_index import wait_for
from testing.tenants import (
    ASAHI_STAFF,
    HOSTS,
    THEMES,
    count,
    stores,  # noqa: F401 (fixtures)
    write_city,
)

pytestmark = pytest.mark.integration

PASSWORD = "tenant-desk-2026"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="module")
def cities(stores: dict[str, str], tmp_path_factory: pytest.TempPathFactory,
           model_cache: Path) -> dict[str, object]:
    """How the server finds its cities: the tenants file on SQLite; on PostgreSQL the registry in the server's
    database, the file deleted once imported, so that PostgreSQL is the only state the server reads."""
    path = write_city(tmp_path_factory.mktemp("tenants"), stores)
    env = {"MADOGUCHI_DATA_DIR": str(model_cache)}
    found: dict[str, object] = {"tenants_file": path}
    if "server" in stores:
        env["MADOGUCHI_DATABASE_URL"] = stores["server"]
        imported = CliRunner().invoke(cli_app, ["tenants", "import", str(path)], env=env)
        assert imported.exit_code == 0 and "2 cities (asahi, kawase)" in imported.output, imported.output
        path.unlink()
        found = {"tenants_from_database": True, "database_url": stores["server"]}
    env |= {"MADOGUCHI_TENANTS_FILE": str(path)} if path.exists() else {
        "MADOGUCHI_TENANTS_FROM_DATABASE": "true"}
    built = CliRunner().invoke(cli_app, ["tenants", "build"], env=env)
    assert built.exit_code == 0, built.output
    assert "asahi: index" in built.output and "shared entries this city overrides: P002)" in built.output
    assert ("shared entries this city overrides: none)" in built.output
            and "problem" not in built.output.lower())
    for key in HOSTS:
        add = ["desk", "user", "add", f"{key}-admin", "--role", "admin", "--password-stdin"]
        made = CliRunner().invoke(cli_app, add, input=PASSWORD + "\n",
                                  env={"MADOGUCHI_DATABASE_URL": stores[key],
                                       "MADOGUCHI_DATA_DIR": str(model_cache)})
        assert made.exit_code == 0, made.output
    return found


@pytest.fixture(scope="module")
def server(cities: dict[str, object], model_cache: Path) -> Iterator[object]:
    settings = Settings(**cities, data_dir=model_cache, index_poll_seconds=0,  # type: ignore[arg-type]
                        rate_per_session=1000, rate_per_address=10_000)
    application = create_tenants_app(settings)
    with TestClient(application):
        yield application


def city(server: object, key: str) -> TestClient:
    """A resident's or an agent's browser on one city's host name."""
    return TestClient(server, base_url=f"http://{HOSTS[key]}", follow_redirects=False)  # type: ignore[arg-type]


def ask(server: object, key: str, text: str, session: str | None = None) -> dict:
    body = {"text": text, **({"session_id": session} if session else {})}
    response = city(server, key).post("/api/v1/ask", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def signed_in(server: object, key: str, name: str) -> TestClient:
    browser = city(server, key)
    token = CSRF.search(browser.get("/desk/login").text)
    assert token
    browser.post("/desk/login",
                 data={"username": name, "password": PASSWORD, "csrf": token.group(1), "next": "/desk"})
    return browser


def test_a_city_answers_its_own_faq_and_the_shared_layer(server: object) -> None:
    assert ask(server, "asahi", "粗大ごみの申し込み方法を教えてください。")["answer"]["id"] == "A001"
    assert ask(server, "asahi",
               "マイナンバーカードを申請するにはどうすればよいですか。")["answer"]["id"] == "P001"
    assert ask(server, "kawase", "犬の登録はどこでできますか。")["answer"]["id"] == "K001"
    assert ask(server, "kawase", "運転免許証の住所変更はどこでできますか。")["answer"]["id"] == "P003"


def test_a_citys_override_of_a_shared_entry_wins_for_that_city_only(server: object) -> None:
    asahi = ask(server, "asahi", "パスポートはどこで申請できますか。")["answer"]
    kawase = ask(server, "kawase", "パスポートはどこで申請できますか。")["answer"]
    assert "あさひ市旅券窓口" in asahi["text"] and "県の旅券センター" not in asahi["text"]
    assert "県の旅券センター" in kawase["text"] and "あさひ" not in kawase["text"]


def test_a_resident_of_one_city_never_sees_another_citys_entries_or_staff_rules(server: object) -> None:
    leaks = [*ASAHI_STAFF, "A001", "A002", "あさひ", "職員限定",
             *(text for pair in ASAHI_STAFF.values() for text in pair)]
    for question in [*(q for q, _ in ASAHI_STAFF.values()), "粗大ごみの申し込み方法を教えてください。",
                     "時間外勤務の事前申請はどうすればよいですか。"]:
        response = city(server, "kawase").post("/api/v1/ask", json={"text": question})
        assert response.status_code == 200
        assert not [leak for leak in leaks if leak in response.text], (question, response.text)


def test_conversations_and_escalations_stay_in_their_city(server: object, stores: dict[str, str]) -> None:
    first = ask(server, "asahi", "あさひ川花火大会の臨時駐車場はありますか")
    ask(server, "asahi", "担当者と話したい", first["session_id"])
    conversation = f"web:{first['session_id']}"
    for key, present in (("asahi", True), ("kawase", False)):
        assert bool(count(stores[key], Turn.id, Turn.question.like("%花火%"))) is present
        assert bool(count(stores[key], Escalation.id, Escalation.conversation_id == conversation)) is present
    assert "花火" in signed_in(server, "asahi", "asahi-admin").get("/desk").text
    assert "花火" not in signed_in(server, "kawase", "kawase-admin").get("/desk").text


def test_a_desk_account_of_one_city_cannot_sign_into_another(server: object) -> None:
    asahi = signed_in(server, "asahi", "asahi-admin")
    assert asahi.get("/desk").status_code == 200
    stolen = city(server, "kawase")
    stolen.cookies = asahi.cookies  # the same session cookie sent to the other city's host
    assert stolen.get("/desk").status_code == 303
    wrong_city = signed_in(server, "kawase", "asahi-admin")
    assert wrong_city.get("/desk").status_code == 303


def test_each_citys_widget_carries_its_theme(server: object) -> None:
    for key, other in (("asahi", "kawase"), ("kawase", "asahi")):
        page = city(server, key).get("/")
        color, title = THEMES[key]
        assert page.status_code == 200 and f'data-color="{color}"' in page.text and title in page.text
        assert THEMES[other][0] not in page.text and "content-security-policy" in page.headers
        assert city(server, key).get("/widget.js").status_code == 200
    hours = ask(server, "kawase", "担当者と話したい")["escalation"]["hours"]
    assert hours.startswith("kawase ")
    unknown = TestClient(server, base_url="http://unknown.example.jp").get("/")  # type: ignore[arg-type]
    assert unknown.status_code == 404 and unknown.json()["error"].startswith("no city is served")
    fully_qualified = TestClient(server, base_url=f"http://{HOSTS['kawase']}.").get("/")  # type: ignore[arg-type]
    assert fully_qualified.status_code == 200 and THEMES["kawase"][1] in fully_qualified.text


def test_cities_share_one_model_and_one_normaliser_and_nothing_else(server: object) -> None:
    contexts = [app.state.madoguchi for app in server.state.cities.values()]  # type: ignore[attr-defined]
    first, second = contexts
    assert first.bot.runtime.embedder is second.bot.runtime.embedder
    assert first.bot.runtime.normaliser is second.bot.runtime.normaliser
    assert first.store is not second.store and first.bot is not second.bot


def test_an_invalid_tenants_file_names_the_tenant_and_the_field(tmp_path: Path) -> None:
    path = write_city(tmp_path, {key: f"sqlite:///{tmp_path / key}.db" for key in HOSTS})
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace(THEMES["kawase"][0], "green"), encoding="utf-8")
    with pytest.raises(ConfigurationError, match='tenant "kawase" field theme.color'):
        read_tenants(path)
    path.write_text(good.replace("call_center_hours", "model"), encoding="utf-8")
    with pytest.raises(ConfigurationError, match='tenant "asahi" field settings.model: shared by every city'):
        read_tenants(path)
    path.write_text(good.replace(HOSTS["kawase"], HOSTS["asahi"]), encoding="utf-8")
    listed = CliRunner().invoke(cli_app, ["tenants", "list"], env={"MADOGUCHI_TENANTS_FILE": str(path)})
    assert isinstance(listed.exception, ConfigurationError) and listed.exception.exit_code == 2
    assert 'tenant "kawase" field hosts' in str(listed.exception)


@pytest.mark.system  # the registry lives in PostgreSQL
def test_the_registry_keeps_each_imported_list_and_refuses_a_broken_one(tmp_path: Path) -> None:
    schema = postgres_schema_url()
    env = {"MADOGUCHI_DATABASE_URL": next(schema), "MADOGUCHI_TENANTS_FROM_DATABASE": "true"}
    try:
        empty = CliRunner().invoke(cli_app, ["tenants", "list"], env=env)
        assert isinstance(empty.exception, ConfigurationError) and "registry" in str(empty.exception)
        path = write_city(tmp_path, {key: f"sqlite:///{tmp_path / key}.db" for key in HOSTS})
        assert CliRunner().invoke(cli_app, ["tenants", "import", str(path)], env=env).exit_code == 0
        path.write_text(path.read_text(encoding="utf-8").replace(THEMES["kawase"][0], "green"),
                        encoding="utf-8")
        broken = CliRunner().invoke(cli_app, ["tenants", "import", str(path)], env=env)
        assert 'tenant "kawase" field theme.color' in str(broken.exception)
        path.unlink()
        listed = CliRunner().invoke(cli_app, ["tenants", "list"], env=env)
        history = CliRunner().invoke(cli_app, ["tenants", "history"], env=env)
    finally:
        next(schema, None)
    assert listed.exit_code == 0 and "あさひ市" in listed.output and "かわせ市" in listed.output
    # the broken file left no revision
    assert history.exit_code == 0 and history.output.count("asahi kawase") == 1


def test_a_server_reading_the_registry_follows_cities_added_changed_and_removed(
        tmp_path: Path, model_cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write_city(tmp_path, {key: f"sqlite:///{tmp_path / key}.db" for key in HOSTS})
    head, asahi_block, kawase_block = re.split(r"(?=  - id: )", path.read_text(encoding="utf-8"))
    env = {"MADOGUCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'server.db'}",
           "MADOGUCHI_DATA_DIR": str(model_cache), "MADOGUCHI_TENANTS_FROM_DATABASE": "true"}

    def store(*blocks: str) -> None:
        path.write_text(head + "".join(blocks), encoding="utf-8")
        assert CliRunner().invoke(cli_app, ["tenants", "import", str(path)], env=env).exit_code == 0

    def status(key: str, page: str = "/") -> int:
        return city(application, key).get(page).status_code

    store(asahi_block)
    assert CliRunner().invoke(cli_app, ["tenants", "build"], env=env).exit_code == 0
    settings = Settings(tenants_from_database=True, database_url=env["MADOGUCHI_DATABASE_URL"],
                        data_dir=model_cache, tenants_poll_seconds=0.1, index_poll_seconds=0)
    application = create_tenants_app(settings)
    with TestClient(application):
        assert status("asahi") == 200 and status("kawase") == 404
        with caplog.at_level(logging.ERROR, logger="madoguchi.tenants"):
            store(asahi_block, kawase_block)  # kawase has no index yet: it cannot start, asahi keeps serving
            wait_for(lambda: "city kawase not started" in caplog.text)
        assert status("kawase") == 404 and ask(application, "asahi", "児童手当の申請に必要なもの")["answer"]
        assert CliRunner().invoke(cli_app, ["tenants", "build", "kawase"], env=env).exit_code == 0
        wait_for(lambda: status("kawase", "/healthz") == 200)
        store(asahi_block.replace(THEMES["asahi"][0], "#000080"), kawase_block)
        seen: list[int] = []

        def themed() -> bool:
            page = city(application, "asahi").get("/")
            seen.append(page.status_code)
            return "#000080" in page.text

        wait_for(themed)
        assert set(seen) == {200}, "the city must keep answering while its new settings start"
        store(kawase_block)
        wait_for(lambda: status("asahi") == 404)
        assert ask(application, "kawase", "図書館の開館時間を教えてください")["answer"]["id"] == "K002"
