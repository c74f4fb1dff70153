"""A city that lets only its admins read staff rules (`MADOGUCHI_DESK_STAFF_ROLES=["admin"]`): its editors
export the FAQ, review questions and look after learned questions without meeting a staff rule, a staff
member's question or a label pointing at a staff entry. The admin still sees them all."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.answer import Answer, Decision
from bot.intents import Intent
from bot.store import ConversationStore
from bot.store.tables import QuestionLabel
from channels.cli.app import app as cli
from channels.server import create_app
from knowledge.core.settings import Settings
from knowledge.records import Audience
from knowledge.sources import load_sources
from testing.desk import add_user, csrf_of, signed_in
from testing.turns import record_turn

pytestmark = pytest.mark.integration

STAFF = [r for r in load_sources([Path(__file__).parents[1] / "knowledge/samples/minato"]).records
         if r.audience is Audience.STAFF]
ASKED = "出張のときの日当の精算がよく分からない"  # a staff member's question on Slack, handed over


@contextmanager
def admins_read_staff_rules(index_dir: Path, store_url: str, model_cache: Path,
                            suffix: str) -> Iterator[object]:
    """A city whose admins alone read staff rules, with an editor and an admin named editor<suffix> and
    admin<suffix>."""
    settings = Settings(data_dir=model_cache, index_dir=index_dir, database_url=store_url,
                        desk_staff_roles=["admin"], index_poll_seconds=0)
    application = create_app(settings)
    with TestClient(application):
        for role in ("editor", "admin"):
            add_user(store_url, model_cache, f"{role}{suffix}", role)
        yield application


@pytest.fixture(scope="module")
def app(sample_index_dir: Path, model_cache: Path,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    store_url = f"sqlite:///{tmp_path_factory.mktemp('staff-roles') / 'store.db'}"
    with admins_read_staff_rules(sample_index_dir, store_url, model_cache, "1") as application:
        store = ConversationStore(store_url)
        handed = Answer(Decision.ESCALATE, Intent.QUESTION, 0.05, "担当者におつなぎします", reason="no match")
        record_turn(store, f"slack:{uuid.uuid4().hex}", "slack", "staff", ASKED, ASKED, handed)
        with store.session() as session, session.begin():
            session.add(QuestionLabel(question=ASKED, normalised=ASKED, entry_id=STAFF[0].id,
                                      audience="staff", source="agent", by="agent1"))
        store.engine.dispose()
        yield application


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_editor_outside_the_staff_roles_exports_no_staff_rule(app: object, fmt: str) -> None:
    import io

    from openpyxl import load_workbook

    def exported(name: str) -> str:
        body = signed_in(app, name).get(f"/desk/kb/export.{fmt}").content
        if fmt == "csv":
            return body.decode("utf-8-sig")
        book = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row)

    editor, admin = exported("editor1"), exported("admin1")
    assert "住民票" in editor and not [r.id for r in STAFF if r.question in editor]
    assert all(r.question in admin for r in STAFF if r.kind == "faq")


def test_an_editor_outside_the_staff_roles_reviews_no_staff_question(app: object) -> None:
    assert ASKED not in signed_in(app, "editor1").get("/desk/review").text
    assert ASKED in signed_in(app, "admin1").get("/desk/review").text


def test_the_dashboard_of_a_role_outside_the_staff_roles_clusters_no_staff_question(app: object) -> None:
    for path in ("/desk/stats", "/desk/stats.csv"):
        assert ASKED not in signed_in(app, "editor1").get(path).text, path
        assert ASKED in signed_in(app, "admin1").get(path).text, path


def test_an_editor_outside_the_staff_roles_sees_and_moves_no_staff_label(app: object) -> None:
    editor = signed_in(app, "editor1")
    assert ASKED not in editor.get("/desk/learned").text
    accepted = editor.post("/desk/learned/accept", data={
        "csrf": csrf_of(editor, "/desk/learned"), "normalised": ASKED, "entry_id": STAFF[0].id,
        "audience": "staff"})
    assert accepted.status_code == 404
    assert ASKED in signed_in(app, "admin1").get("/desk/learned").text



def test_an_editor_outside_the_staff_roles_finds_no_staff_entry_on_the_health_page(
        model_cache: Path, tmp_path: Path) -> None:
    """Two entries without an owner, one for staff: the editor is asked to give an owner to the other only."""
    (tmp_path / "faq.csv").write_text(
        "番号,質問,回答,公開範囲\n"
        "T1,ごみの収集日はいつですか。,燃えるごみは月曜と木曜です。,resident\n"
        "T2,出張の日当はいくらですか。,日当は1日2200円です。,staff\n", encoding="utf-8")
    index_dir = tmp_path / "index"
    built = CliRunner().invoke(cli, ["index", "build", str(tmp_path / "faq.csv"), "--index-dir",
                                     str(index_dir)], env={"MADOGUCHI_DATA_DIR": str(model_cache)})
    assert built.exit_code == 0, built.output
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    with admins_read_staff_rules(index_dir, store_url, model_cache, "2") as application:
        editor = signed_in(application, "editor2").get("/desk/health").text
        admin = signed_in(application, "admin2").get("/desk/health").text
    assert "/desk/entries/T2" in admin and "/desk/entries/T1" in admin
    assert "/desk/entries/T2" not in editor and "/desk/entries/T1" in editor
