"""Replies by e-mail: a resident who left an address and asked for e-mail gets the agent's reply from a real
local SMTP server (STARTTLS, a sign-in), in readable Japanese; a server that refuses is retried and, when it
keeps refusing, the desk says 未達; the desk says beforehand which way a reply will go, and says so honestly
when the city has no mail server configured."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.store.escalations import EscalationStore
from channels.server import create_app
from knowledge.core.settings import Settings
from testing.database import STORES, postgres_schema_url
from testing.desk import add_user, csrf_of, sign_in, visitor
from testing.live_index import wait_until
from testing.mailserver import PASSWORD, USER, MailServer

pytestmark = pytest.mark.integration

SENDER = "みなと市 お問い合わせ <madoguchi@city.minato.example.jp>"
REPLY = "粗大ごみの申し込みは、粗大ごみ受付センター（電話 0123-45-1400）で受け付けています。"


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    server = MailServer().start(tmp_path_factory.mktemp("smtp"))
    yield server
    server.stop()


def settings_for(url: str, model_cache: Path, index_dir: Path, mail: MailServer | None) -> Settings:
    smtp = {} if mail is None else {
        "smtp_host": "127.0.0.1", "smtp_port": mail.port, "smtp_security": "starttls", "smtp_user": USER,
        "smtp_password": PASSWORD, "smtp_from": SENDER, "smtp_ca_file": mail.ca_file}
    return Settings(data_dir=model_cache, index_dir=index_dir, database_url=url, index_poll_seconds=0,
                    outbox_max_attempts=3, outbox_first_delay_seconds=0.05, rate_per_session=1000,
                    rate_per_address=10_000, desk_login_rate_per_address=1000, **smtp)


@pytest.fixture(scope="module", params=STORES)
def app(request: pytest.FixtureRequest, sample_index_dir: Path, model_cache: Path, mail: MailServer,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    urls = postgres_schema_url() if request.param == "postgresql" else iter(
        [f"sqlite:///{tmp_path_factory.mktemp('mail') / 'store.db'}"])
    url = next(urls)
    with TestClient(create_app(settings_for(url, model_cache, sample_index_dir, mail))) as client:
        add_user(url, model_cache, "agent-mail", "agent")
        yield client
    next(urls, None)


def escalate_with_email(client: TestClient, session: str, email: str, name: str = "") -> str:
    """The widget's way: ask for a person, then leave an address and ask for e-mail."""
    escalation_id = client.post("/api/v1/ask",
                                json={"session_id": session, "text": "粗大ごみの申し込み方を担当者と話したい"}
                                ).json()["escalation"]["id"]
    contact = client.post(f"/api/v1/escalations/{escalation_id}/contact",
                          json={"session_id": session, "name": name, "email": email, "preferred": "email"})
    assert contact.status_code == 204, contact.text
    return escalation_id


def agent_replies(client: TestClient, escalation_id: str, text: str = REPLY) -> str:
    """Claim and reply in the desk; returns the escalation page as the agent saw it before replying."""
    agent = visitor(client.app)
    assert sign_in(agent, "agent-mail").status_code == 303
    page = f"/desk/escalations/{escalation_id}"
    assert agent.post(f"{page}/claim", data={"csrf": csrf_of(agent, page)}).status_code == 303
    before = agent.get(page).text
    assert agent.post(f"{page}/reply", data={"csrf": csrf_of(agent, page), "text": text}).status_code == 303
    return before


def desk_page(client: TestClient, escalation_id: str) -> str:
    agent = visitor(client.app)
    sign_in(agent, "agent-mail")
    return agent.get(f"/desk/escalations/{escalation_id}").text


def delivery(client: TestClient, escalation_id: str) -> str:
    return EscalationStore(client.app.state.madoguchi.store).get(escalation_id).delivery


def to(mail: MailServer, address: str) -> list:
    return [m for m in mail.received if address in m.recipients]


def test_the_reply_reaches_the_residents_mailbox_in_readable_japanese(app: TestClient,
                                                                      mail: MailServer) -> None:
    address = f"resident-{id(app)}@example.jp"
    escalation_id = escalate_with_email(app, f"mail-session-{id(app)}", address, "港 花子")
    before = agent_replies(app, escalation_id)
    assert f"メール（{address}）" in before and "返信（メールで届けます）" in before
    [received] = wait_until(lambda: to(mail, address))
    message = received.message
    assert message["Subject"] == "【みなと市】お問い合わせへの回答"
    assert message["From"].addresses[0].display_name == "みなと市 お問い合わせ"
    assert received.sender == "madoguchi@city.minato.example.jp"
    body = message.get_content()
    assert body.startswith("港 花子 様") and REPLY in body and "市役所代表" in body
    assert received.raw.isascii(), "headers and body travel encoded (RFC 2047, base64), never raw UTF-8"
    assert b"=?utf-8?" in received.raw.lower()
    assert wait_until(lambda: delivery(app, escalation_id) == "delivered")
    assert re.search(r'<dd id="delivery">送信済み（メール: ' + re.escape(address),
                     desk_page(app, escalation_id))


def test_a_server_that_refuses_then_accepts_gets_the_reply_once(app: TestClient, mail: MailServer,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    address = f"retry-{id(app)}@example.jp"
    escalation_id = escalate_with_email(app, f"mail-retry-{id(app)}", address)
    attempts, mail.refuse = mail.attempts, 1
    with caplog.at_level(logging.DEBUG):
        agent_replies(app, escalation_id)
        assert wait_until(lambda: delivery(app, escalation_id) == "delivered")
    assert len(to(mail, address)) == 1 and mail.attempts - attempts == 2
    assert "451" in caplog.text and PASSWORD not in caplog.text, "the refusal is logged, the password never"


def test_a_server_that_keeps_refusing_ends_undelivered_and_the_widget_still_shows_it(
        app: TestClient, mail: MailServer) -> None:
    session, address = f"mail-refused-{id(app)}", f"refused-{id(app)}@example.jp"
    escalation_id = escalate_with_email(app, session, address)
    mail.refuse = 100
    try:
        agent_replies(app, escalation_id)
        assert wait_until(lambda: delivery(app, escalation_id) == "undelivered", seconds=30)
    finally:
        mail.refuse = 0
    assert not to(mail, address)
    assert "未達（届きませんでした" in desk_page(app, escalation_id)
    replies = app.get("/api/v1/replies", params={"session_id": session}).json()["replies"]
    assert [r["text"] for r in replies] == [REPLY]
    assert delivery(app, escalation_id) == "undelivered", "showing it in the widget does not fake the mail"


def test_without_a_mail_server_the_desk_says_the_mail_will_not_go(sample_index_dir: Path, model_cache: Path,
                                                                  tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with TestClient(create_app(settings_for(url, model_cache, sample_index_dir, None))) as client:
        add_user(url, model_cache, "agent-mail", "agent")
        escalation_id = escalate_with_email(client, "mail-off-session", "nomail@example.jp")
        before = agent_replies(client, escalation_id)
        assert "メールを送る設定になっていません" in before and "返信（ウェブで届けます）" in before
        assert delivery(client, escalation_id) == "waiting"
        replies = client.get("/api/v1/replies", params={"session_id": "mail-off-session"}).json()["replies"]
        assert [r["text"] for r in replies] == [REPLY]


def test_mail_settings_need_a_sender_and_a_password_for_a_user() -> None:
    with pytest.raises(ValueError, match="MADOGUCHI_SMTP_FROM"):
        Settings(smtp_host="mail.city.example")
    with pytest.raises(ValueError, match="MADOGUCHI_SMTP_PASSWORD"):
        Settings(smtp_host="mail.city.example", smtp_from=SENDER, smtp_user="u")
    assert PASSWORD not in repr(Settings(smtp_host="h", smtp_from=SENDER, smtp_user="u",
                                         smtp_password=PASSWORD))
