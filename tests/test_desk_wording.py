"""Japanese wherever a city's staff read: the audit log's actions, details and values, the entry diff's
公開範囲 and each page's audience, the sign-in refusal, and `index build`'s row problems (the column as the
file wrote it, the accepted values in Japanese too)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from channels.cli.app import app as cli_app
from channels.server import create_app
from knowledge.core.settings import Settings
from testing.desk import add_user, csrf_of, form_of, sign_in, visitor

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def desk(sample_index_dir: Path, model_cache: Path,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    url = f"sqlite:///{tmp_path_factory.mktemp('wording') / 'store.db'}"
    settings = Settings(data_dir=model_cache, index_dir=sample_index_dir, database_url=url,
                        index_poll_seconds=0,
                        desk_login_rate_per_address=1000, rate_per_session=1000, rate_per_address=10_000)
    application = create_app(settings)
    with TestClient(application):
        add_user(url, model_cache, "admin1", "admin")
        yield application


def test_the_sign_in_refusal_is_japanese_only(desk: object) -> None:
    refused = sign_in(visitor(desk), "nobody-here", "wrong-password-123")
    assert "ユーザー名かパスワードが違います" in refused.text and "sign-in refused" not in refused.text


def test_the_audit_log_names_actions_details_and_values_in_japanese(desk: object) -> None:
    sign_in(visitor(desk), "nobody-at-all", "wrong-password-123")
    admin = visitor(desk)
    assert sign_in(admin, "admin1").status_code == 303
    escalation_id = admin.post("/api/v1/ask",
                               json={"session_id": "wording-session-1", "text": "担当者と話したい"}
                               ).json()["escalation"]["id"]
    page = f"/desk/escalations/{escalation_id}"
    admin.post(f"{page}/claim", data={"csrf": csrf_of(admin, page)})
    admin.post(f"{page}/reply", data={"csrf": csrf_of(admin, page), "text": "窓口は3番です。"})
    log = admin.get("/desk/admin/audit").text
    cells = re.findall(r"<td>([^<]*)</td>", log)
    for words in ("ログインの失敗", "理由: 存在しないユーザー名", "ログイン", "担当する", "返信",
                  "配信: 次にチャットを開いたときに表示", "届け方: ウェブ"):
        assert any(words in cell for cell in cells), words
    for raw in ("login.failed", "unknown user", "claim", "delivery=waiting", "via="):
        assert not any(raw in cell for cell in cells), raw


def test_the_entry_diff_shows_the_audience_in_japanese(desk: object) -> None:
    editor = visitor(desk)
    sign_in(editor, "admin1")
    path = "/desk/entries/R105"
    values = form_of(editor, path) | {"audience": "staff", "csrf": csrf_of(editor, path)}
    assert editor.post(path, data=values).status_code == 303
    diff = re.search(r'<dl class="diff">.*?</dl>', editor.get(path).text, re.S)
    assert diff and "<del>住民</del>" in diff.group(0) and "<ins>職員</ins>" in diff.group(0)
    assert "resident" not in diff.group(0) and "staff" not in diff.group(0)


def test_the_desk_writes_each_audience_in_the_words_the_export_uses(desk: object) -> None:
    admin = visitor(desk)
    sign_in(admin, "admin1")
    options = re.findall(r'<option value="(\w+)"[^>]*>([^<]*)</option>', admin.get("/desk/entries/R105").text)
    assert {("resident", "住民"), ("staff", "職員"), ("all", "全員（住民と職員）")} <= set(options), options
    escalation_id = admin.post("/api/v1/ask",
                               json={"session_id": "wording-session-2", "text": "担当者と話したい"}
                               ).json()["escalation"]["id"]
    row = re.search(rf"<tr>(?:(?!</tr>).)*escalations/{escalation_id}\"", admin.get("/desk").text, re.S)
    assert row and "<td>ウェブ（住民）</td>" in row.group(0)
    assert "<dt>利用者</dt><dd>住民</dd>" in admin.get(f"/desk/escalations/{escalation_id}").text


def test_index_build_names_the_column_as_written_and_the_japanese_values(
        model_cache: Path, tmp_path: Path) -> None:
    (tmp_path / "faq.csv").write_text("番号,質問,回答,公開範囲\nJ1,良い質問,良い回答,住民\nJ2,回答がない,,住"
                                      "民\nJ3,範囲が変,回答,みんな\n", encoding="utf-8")
    (tmp_path / "short.csv").write_text("番号,質問\nK1,回答の列がない\n", encoding="utf-8")
    result = CliRunner().invoke(cli_app,
                                ["index", "build", str(tmp_path / "faq.csv"), str(tmp_path / "short.csv"),
                                 "--index-dir", str(tmp_path / "i")],
                                env={"MADOGUCHI_DATA_DIR": str(model_cache), "COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert re.search(r"faq\.csv\s*│\s*3 行目\s*│\s*回答\s*│\s*空です", result.output), result.output
    assert re.search(r"faq\.csv\s*│\s*4 行目\s*│\s*公開範囲\s*│\s*住民・職員・全員（resident・staff・all "
                     r"も可）", result.output)
    assert re.search(r"short\.csv\s*│\s*1 行目\s*│\s*回答\s*│\s*列がありません", result.output), result.output
    assert "誤り" in result.output and "expected" not in result.output and "row " not in result.output


def test_every_reason_a_question_was_handed_over_has_desk_words() -> None:
    from bot.store.states import Reason
    from channels.desk.escalation import REASON_LABELS
    assert set(Reason) - {Reason.NONE} <= set(REASON_LABELS)


def test_every_call_outcome_and_import_is_named_in_japanese_in_the_audit_log() -> None:
    from bot.service.contracts import CallOutcome
    from channels.desk.wording import ACTION_LABELS, action_words

    for action in (*(f"call.{outcome}" for outcome in CallOutcome), "kb.import"):
        assert action in ACTION_LABELS and action_words(action) != action, action


def test_a_rolled_back_version_and_a_missing_escalation_are_told_in_japanese(desk: object) -> None:
    editor = visitor(desk)
    sign_in(editor, "admin1")
    path = "/desk/entries/R106"
    for answer in ("一つ目の回答です。", "二つ目の回答です。"):
        assert editor.post(path, data=form_of(editor, path) | {"answer": answer}).status_code == 303
        assert editor.post(f"{path}/approve", data={"csrf": csrf_of(editor, path)}).status_code == 303
    history = editor.get(path).text.split("<h2>履歴</h2>")[1]
    rollback = re.search(r'action="[^"]*/rollback/(\d+)"', history)
    assert rollback and editor.post(f"{path}/rollback/{rollback.group(1)}",
                                    data={"csrf": csrf_of(editor, path), "confirmed": "1"}).status_code == 303
    assert f"版 {rollback.group(1)} に戻す" in editor.get(path).text
    missing = editor.get("/desk/escalations/no-such-escalation")
    assert missing.status_code == 404 and "引き継ぎ no-such-escalation はありません" in missing.text
