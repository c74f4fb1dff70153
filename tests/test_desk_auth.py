"""Desk sign-in, sessions, roles and CSRF through the front door (TestClient), users made with the CLI."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session

from bot.store.tables import AuditEntry, DeskSession, DeskUser, utcnow
from channels.server import create_app
from knowledge.core.settings import Settings
from testing.desk import PASSWORD, add_user, csrf_of, form_of, sign_in, signed_in, visitor

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('desk-auth') / 'store.db'}"


@pytest.fixture(scope="module")
def app(sample_index_dir: Path, store_url: str, model_cache: Path) -> Iterator[object]:
    settings = Settings(data_dir=model_cache, index_dir=sample_index_dir, database_url=store_url,
                        desk_max_failed_logins=3, desk_login_rate_per_address=5, index_poll_seconds=0)
    application = create_app(settings)
    with TestClient(application):
        for name, role in (("agent1", "agent"), ("editor1", "editor"), ("admin1", "admin"),
                           ("locky", "agent"), ("racer", "agent")):
            add_user(store_url, model_cache, name, role)
        yield application


def audit(store_url: str, action: str, actor: str | None = None) -> list[AuditEntry]:
    engine = create_engine(store_url)
    with Session(engine) as session:
        query = select(AuditEntry).where(AuditEntry.action == action)
        found = list(session.scalars(query.where(AuditEntry.actor == actor) if actor else query))
    engine.dispose()
    return found


def write(store_url: str, statement) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(store_url)
    with engine.begin() as connection:
        connection.execute(statement)
    engine.dispose()


def test_signing_in_sets_a_strict_http_only_cookie_for_the_desk_only(app: object) -> None:
    client = visitor(app)
    response = sign_in(client, "agent1")
    assert response.status_code == 303 and response.headers["location"] == "/desk"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("madoguchi_desk="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "Path=/desk" in cookie and "Secure" not in cookie
    assert client.get("/desk").status_code == 200


def test_the_cookie_is_secure_when_the_desk_is_reached_over_https(app: object) -> None:
    response = sign_in(visitor(app, https=True), "agent1")
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("madoguchi_desk="))
    assert "Secure" in cookie


def test_signed_out_visitors_are_sent_to_login_with_where_they_were_going(app: object) -> None:
    response = visitor(app).get("/desk/admin/audit?page=2")
    assert response.status_code == 303
    assert response.headers["location"] == "/desk/login?next=%2Fdesk%2Fadmin%2Faudit%3Fpage%3D2"


def test_a_form_sent_after_the_session_ended_says_so_and_leads_back_to_its_page(app: object) -> None:
    agent = signed_in(app, "agent1")
    page = "/desk/escalations/abc123"
    token = csrf_of(agent)
    agent.post("/desk/logout", data={"csrf": token})
    sent = agent.post(f"{page}/reply", data={"csrf": token, "text": "返信の本文"},
                      headers={"referer": f"http://testserver{page}"})
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/desk/login?next={quote(page, safe='')}&unsent=1"
    assert "送った内容は保存していません" in agent.get(sent.headers["location"]).text
    elsewhere = agent.post(f"{page}/reply", data={"csrf": token, "text": "x"},
                           headers={"referer": "https://evil.example/desk/x"})
    assert elsewhere.headers["location"] == "/desk/login?next=%2Fdesk&unsent=1"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/desk", "/\\evil.example",
                                    "/deskevil", "javascript:alert(1)", "/desk\r\nLocation: //evil.example",
                                    "/desk/../..//evil.example/x", "/desk/%2e%2e/api/v1/replies"])
def test_login_never_redirects_to_another_site(app: object, target: str) -> None:
    response = sign_in(visitor(app), "agent1", next_path=target)
    assert response.status_code == 303 and response.headers["location"] == "/desk"


def test_login_goes_on_to_a_page_inside_the_desk(app: object) -> None:
    response = sign_in(visitor(app), "admin1", next_path="/desk/admin/audit?page=1")
    assert response.headers["location"] == "/desk/admin/audit?page=1"


def test_unknown_user_and_wrong_password_get_the_same_answer(app: object, store_url: str) -> None:
    unknown = sign_in(visitor(app), "nobody-here", "whatever-password")
    wrong = sign_in(visitor(app), "editor1", "not-the-password")
    assert unknown.status_code == wrong.status_code == 401
    message = re.compile(r'<p class="alert" role="alert" id="login-error">([^<]+)</p>')
    assert message.search(unknown.text).group(1) == message.search(wrong.text).group(1)  # type: ignore[union-attr]
    assert [e.detail["reason"] for e in audit(store_url, "login.failed", "nobody-here")] == ["unknown user"]


def test_an_account_locks_after_repeated_wrong_passwords_and_the_audit_log_says_so(
        app: object, store_url: str) -> None:
    for _ in range(3):
        assert sign_in(visitor(app), "locky", "wrong-password!").status_code == 401
    assert len(audit(store_url, "login.lockout", "locky")) == 1
    logged = signed_in(app, "admin1").get("/desk/admin/audit", params={"actor": "locky"}).text
    until = re.search(r"ロックの終わり: ([^<、]*)", logged)
    assert until and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", until.group(1)), logged  # Japan time
    assert sign_in(visitor(app), "locky").status_code == 401  # right password, still locked
    reasons = [e.detail["reason"] for e in audit(store_url, "login.failed", "locky")]
    assert reasons == ["wrong password"] * 3 + ["locked"]
    write(store_url, update(DeskUser).where(DeskUser.username == "locky").values(
        locked_until=utcnow() - timedelta(seconds=1)))
    assert sign_in(visitor(app), "locky").status_code == 303
    assert audit(store_url, "login", "locky")


def test_parallel_sign_ins_from_many_addresses_check_no_more_passwords_than_the_limit(
        app: object, store_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    passwords = [f"wrong-guess-{n:02d}" for n in range(11)] + [PASSWORD]
    with ThreadPoolExecutor(len(passwords)) as pool:
        statuses = list(pool.map(lambda password: sign_in(visitor(app), "racer", password).status_code,
                                 passwords))
    wrong = [e for e in audit(store_url, "login.failed", "racer") if e.detail["reason"] == "wrong password"]
    assert len(wrong) <= 3 and statuses.count(401) >= len(passwords) - 1
    assert sign_in(visitor(app), "racer").status_code == 401 or not audit(store_url, "login.lockout", "racer")


def test_login_attempts_are_limited_per_client_address(app: object) -> None:
    client = visitor(app, address="192.0.2.77")
    statuses = [sign_in(client, "nobody", "wrong-password!").status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    assert sign_in(client, "agent1").status_code == 429  # even the right password waits
    assert sign_in(visitor(app, address="192.0.2.78"), "agent1").status_code == 303


def test_a_throttled_address_leaves_one_trace_a_minute_in_the_audit_log(app: object, store_url: str) -> None:
    client = visitor(app, address="192.0.2.79")
    statuses = [sign_in(client, f"guess{n}", "wrong-password!").status_code for n in range(9)]
    assert statuses == [401] * 5 + [429] * 4
    throttled = [e.actor for e in audit(store_url, "login.failed") if e.detail.get("address") == "192.0.2.79"
                 and e.detail["reason"] == "too many attempts from the address"]
    assert throttled == ["guess5"]
    logged = signed_in(app, "admin1").get("/desk/admin/audit", params={"actor": "guess5"}).text
    assert "接続元からの試行が多すぎる" in logged


def test_passwords_are_stored_only_as_argon2_hashes(app: object, store_url: str) -> None:
    engine = create_engine(store_url)
    with engine.connect() as connection:
        dump = "\n".join(str(row) for table in ("desk_users", "desk_sessions", "audit_log")
                         for row in connection.exec_driver_sql(f"SELECT * FROM {table}"))
        hashes = [row[0] for row in connection.exec_driver_sql("SELECT password_hash FROM desk_users")]
    engine.dispose()
    assert PASSWORD not in dump
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)


def test_session_tokens_are_stored_only_as_hashes(app: object, store_url: str) -> None:
    client = visitor(app)
    sign_in(client, "agent1")
    token = client.cookies["madoguchi_desk"]
    engine = create_engine(store_url)
    with Session(engine) as session:
        stored = list(session.scalars(select(DeskSession.token_hash)))
    engine.dispose()
    assert token not in stored and len(stored) >= 1


def test_a_form_without_its_csrf_token_is_refused(app: object) -> None:
    client = visitor(app)
    sign_in(client, "agent1")
    missing = client.post("/desk/logout", data={})
    wrong = client.post("/desk/logout", data={"csrf": "forged"})
    assert missing.status_code == wrong.status_code == 403
    assert "CSRF" in missing.text and "<h1>この操作はできません</h1>" in missing.text
    assert client.get("/desk").status_code == 200  # still signed in


def test_the_login_form_itself_needs_its_token(app: object) -> None:
    response = visitor(app).post("/desk/login", data={"username": "agent1", "password": PASSWORD})
    assert response.status_code == 403


def test_an_agent_cannot_reach_admin_pages(app: object) -> None:
    client = visitor(app)
    sign_in(client, "agent1")
    for path in ("/desk/admin/users", "/desk/admin/audit"):
        response = client.get(path)
        assert response.status_code == 403 and "管理" not in re.sub(r"<h1>.*", "",
                                                                    response.text.split("<main")[0])
    created = client.post("/desk/admin/users", data={"csrf": csrf_of(client), "username": "sneaky",
                                                     "password": PASSWORD, "role": "admin"})
    assert created.status_code == 403


def test_logging_out_ends_the_session_on_the_server(app: object, store_url: str) -> None:
    client = visitor(app)
    sign_in(client, "editor1")
    token = client.cookies["madoguchi_desk"]
    assert client.post("/desk/logout", data={"csrf": csrf_of(client)}).status_code == 303
    replay = visitor(app)
    assert replay.get("/desk", headers={"cookie": f"madoguchi_desk={token}"}).status_code == 303
    assert audit(store_url, "logout", "editor1")


def test_an_expired_session_is_signed_out(app: object, store_url: str) -> None:
    client = visitor(app)
    sign_in(client, "admin1")
    write(store_url, update(DeskSession).values(expires_at=utcnow() - timedelta(minutes=1)))
    assert client.get("/desk").status_code == 303


def test_an_agent_outside_the_staff_roles_cannot_open_or_edit_a_staff_only_entry_by_its_id(
        app: object) -> None:
    agent, editor = signed_in(app, "agent1"), signed_in(app, "editor1")
    assert agent.get("/desk/entries/R105").status_code == 200
    page = agent.get("/desk/entries/S005")
    assert page.status_code == 404 and "夏季休暇" not in page.text
    saved = agent.post("/desk/entries/S005", data={"csrf": csrf_of(agent), "question": "夏季休暇は？",
                                                   "answer": "書き換え", "audience": "resident"})
    assert saved.status_code == 404 and "夏季休暇" not in saved.text
    assert agent.post("/desk/entries/S005/paraphrases",
                      data={"csrf": csrf_of(agent), "text": "夏休み"}).status_code == 404
    assert "夏季休暇" in editor.get("/desk/entries/S005").text
    form = form_of(editor, "/desk/entries/S005")
    rewritten = {**form, "answer": "夏季休暇の新しい決まり"}
    assert editor.post("/desk/entries/S005", data=rewritten).status_code == 303
    assert "夏季休暇" in editor.get("/desk/entries").text
    assert "夏季休暇" not in agent.get("/desk/entries").text

