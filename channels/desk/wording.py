"""The audit log in the words a city's staff read: actions, detail names and stored values in Japanese.

The log itself keeps stable English keys (`entry.approve`, `delivery=waiting`) for whoever queries it;
only the desk's page translates. An action or value without a translation is shown as stored.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.service.contracts import CallOutcome, Delivery, LabelSource, ReplyVia, Role, SignInFailure
from channels.desk.render import jst
from knowledge.fields import FIELD_LABELS
from knowledge.records import AUDIENCE_LABELS

ROLE_LABELS: dict[str, str] = {Role.AGENT: "担当者", Role.EDITOR: "編集者", Role.ADMIN: "管理者"}
ACTION_LABELS = {
    "login": "ログイン", "login.failed": "ログインの失敗", "login.lockout": "アカウントのロック",
    "logout": "ログアウト",
    "user.created": "アカウントの作成", "user.role": "役割の変更", "user.password": "パスワードの変更",
    "user.enabled": "アカウントの有効化", "user.disabled": "アカウントの無効化",
    "claim": "担当する", "release": "担当を外す", "reply": "返信", "callback": "電話で折り返し済み",
    "closed": "完了",
    "dropped": "取り下げ",
    "delivery.delivered": "返信の配信: 送信済み", "delivery.undelivered": "返信の配信: 未達",
    "entry.promote": "FAQにする", "entry.new": "FAQ の下書きを作成", "entry.save": "下書きの保存",
    "entry.approve": "承認して公開", "entry.reject": "却下", "entry.retire": "公開を終了",
    "entry.rollback": "以前の版に戻す", "entry.import": "表から読み込み",
    "kb.import": "Excel・CSV の読み込み",
    "call.answered": "電話: この回答で対応", "call.forwarded": "電話: 担当課へ転送",
    "call.unresolved": "電話: 対応できず（引き継ぎ）",
    "label.add": "「この FAQ で答えられる」を記録", "label.accept": "ラベルを学習に使う",
    "label.remove": "ラベルを外す", "label.unmark": "「この FAQ で答えられる」を取り消し",
    "learn.start": "学習して公開を開始", "learn.busy": "学習して公開（実行中のため開始せず）",
}
DETAIL_LABELS = {
    "role": "役割", "was": "前の役割", "agent": "担当していた人", "active": "有効", "address": "接続元",
    "reason": "理由",
    "until": "ロックの終わり",
    "failures": "失敗の回数", "delivery": "配信", "via": "届け方", "chars": "文字数",
    "escalation": "引き継ぎ",
    "note": "メモ", "fields": "変えた項目", "version": "版", "to": "戻した版", "source": "出どころ",
    "entry": "FAQ", "question": "質問", "rows": "追加・変更した行", "department": "担当課",
}
REASON_WORDS: dict[str, str] = {SignInFailure.UNKNOWN_USER: "存在しないユーザー名",
                                SignInFailure.WRONG_PASSWORD: "パスワードの誤り",
                SignInFailure.LOCKED: "ロック中", SignInFailure.INACTIVE: "無効なアカウント",
                SignInFailure.ATTEMPTS_IN_PROGRESS: "同時の試行で回数が尽きた",
                SignInFailure.THROTTLED: "接続元からの試行が多すぎる（1分に1件だけ記録）"}
DELIVERY_WORDS: dict[str, str] = {Delivery.WAITING: "次にチャットを開いたときに表示",
                                  Delivery.PENDING: "送信待ち", Delivery.DELIVERED: "送信済み",
                  Delivery.UNDELIVERED: "未達", Delivery.UNREACHABLE: "送り先なし",
                                  Delivery.CALLBACK: "電話で折り返し済み"}
VIA_WORDS: dict[str, str] = {ReplyVia.EMAIL: "メール", ReplyVia.WEB: "ウェブ", ReplyVia.LINE: "LINE",
                             ReplyVia.SLACK: "Slack",
             ReplyVia.NONE: "送り先なし"}
OUTCOME_WORDS: dict[str, str] = {CallOutcome.ANSWERED: "この回答で対応",
                                 CallOutcome.FORWARDED: "担当課へ転送",
                                 CallOutcome.UNRESOLVED: "対応できず"}
SOURCE_WORDS: dict[str, str] = {LabelSource.AGENT: "担当者", LabelSource.EDITOR: "編集者",
                                LabelSource.APPROVED: "承認した FAQ",
                LabelSource.WEAK: "住民の選択・👍"}


def _fields(value: object) -> str:
    names = value if isinstance(value, list) else [value]
    return "・".join(FIELD_LABELS.get(str(name), str(name)) for name in names) or "なし（内容は同じ）"


def _japan_time(value: object) -> str:
    """A moment the store wrote in ISO form (a lockout's end), in the Japan time every desk page uses."""
    try:
        return jst(datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value)


VALUE_WORDS: dict[str, Callable[[object], str]] = {
    "until": _japan_time,
    "role": lambda v: ROLE_LABELS.get(str(v), str(v)),
    "was": lambda v: ROLE_LABELS.get(str(v), str(v)),
    "active": lambda v: "はい" if v else "いいえ",
    "reason": lambda v: REASON_WORDS.get(str(v), str(v)),
    "delivery": lambda v: DELIVERY_WORDS.get(str(v), str(v)),
    "via": lambda v: VIA_WORDS.get(str(v), str(v)),
    "source": lambda v: SOURCE_WORDS.get(str(v), str(v)),
    "fields": _fields,
}


def action_words(action: str) -> str:
    """An audit action as staff read it."""
    return ACTION_LABELS.get(action, action)


def detail_words(detail: dict | None) -> list[tuple[str, str]]:
    """An audit entry's details as (name, value) pairs in Japanese."""
    return [(DETAIL_LABELS.get(key, key), VALUE_WORDS.get(key, str)(value))
            for key, value in (detail or {}).items()]


def audience_words(value: object) -> str:
    """resident → 住民, staff → 職員, all → 全員 (anything else as it is)."""
    return AUDIENCE_LABELS.get(str(value), "" if value is None else str(value))
