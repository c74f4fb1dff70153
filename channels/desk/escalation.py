"""One escalation (`/desk/escalations/{id}`): what the resident asked, what the bot did, and the agent's
actions — claim, reply through the original channel, 「電話で折り返し済み」, close, drop.

Every action is a POST followed by a redirect back to the page (works without JavaScript, and a
reload never repeats an action). When someone else was first, the page is shown again with 409 and
who is working on it, instead of a bare error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from bot.answer import NONE_OF_THESE, Decision, Reason
from bot.compose import NONE_LABEL, choice_label
from bot.multilingual.detect import detect_language
from bot.multilingual.texts import language_name
from bot.review import PHONE_UNRESOLVED
from bot.service.contracts import (
    Delivery,
    EscalationStatus,
    EscalationView,
    Role,
    SignedIn,
    TranscriptTurn,
    may_reply,
    reply_way,
)
from channels.desk.auth import require_role
from channels.desk.labelling import label_quoted, marked_entries
from channels.desk.queue import AUDIENCE_LABELS, CHANNEL_LABELS, ESCALATION_STATUS_LABELS
from channels.desk.render import city, desk_subrouter, page
from channels.desk.search import audience_of
from channels.desk.wording import DELIVERY_WORDS, VIA_WORDS
from knowledge.core.errors import ConflictError
from knowledge.records import Audience, Record

router = desk_subrouter()
Agent = Depends(require_role(Role.AGENT))
MAX_REPLY_CHARS = 5000
DELIVERY_LABELS: dict[str, str] = {**DELIVERY_WORDS,  # with what the agent can do when a reply did not arrive
                                   Delivery.UNDELIVERED: "未達（届きませんでした。"
                                                         "電話などで連絡してください）",
                                   Delivery.UNREACHABLE: "送り先がありません（連絡先に電話かメールで）",
                                   Delivery.NONE: "—"}
DECIDED_LABELS: dict[str, str] = {Decision.ANSWER: "回答", Decision.CLARIFY: "聞き返し",
                                   Decision.ESCALATE: "引き継ぎ", Decision.SMALLTALK: "あいさつ等"}
DONE = {"claim": "担当にしました。", "reply": "返信を保存しました。",
        "callback": "「電話で折り返し済み」を記録しました。",
        "close": "完了にしました。", "drop": "取り下げました。",
        "release": "担当を外しました。キューに戻り、ほかの担当者が担当できます。",
        "label": ("「この FAQ で答えられる」を記録しました。次の「学習して公開」で学習の材料になります"
                  "（ボットが変わるのは、確かめて前より良いときだけです）。"),
        "unlabel": "「この FAQ で答えられる」の記録を取り消しました。学習には使いません。"}
WROTE_SINCE = ("このページを開いた後に、住民が書き足しています（「引き継ぎの後の発言」）。読んでから、"
               "もう一度「返信する」を押してください。書いた返信はそのまま残しています。")
ANSWERED_ALREADY = ("住民はこの引き継ぎへの返信を受け取っています。訂正や追加は、連絡先があれば電話やメールで"
                    "伝えてください（返信した内容は下のとおりです）。")
PREFERRED_LABELS = {"email": "メール", "phone": "電話", "": "指定なし"}
MAIL_OFF = ("住民はメールでの返信を希望していますが、このサーバーはメールを送る設定になっていません"
            "（MADOGUCHI_SMTP_HOST）。返信はメールでは届きません。")
REASON_LABELS: dict[str, str] = {Reason.NO_MATCH: "自信をもって答えられる FAQ がなかった",
                                 Reason.NONE_FIT: "示した候補のどれにも当てはまらなかった",
                                 Reason.PAST_LAST_CHOICE: "候補にない番号が選ばれた",
                                 Reason.ASKED_FOR_PERSON: "担当者との会話を希望した",
                                 Reason.URGENT: "緊急の状況（連絡先を案内済み）",
                                 Reason.UNRESOLVED_CALL: PHONE_UNRESOLVED}


@dataclass(frozen=True, slots=True)
class ConsideredEntry:
    """A record the bot considered, looked up in the live index (it may have been removed since)."""

    id: str
    score: float
    record: Record | None


def readable_entries(request: Request, user: SignedIn) -> Mapping[str, Record]:
    """The live index as this desk user may read it: a role outside MADOGUCHI_DESK_STAFF_ROLES (a contracted
    call center's agents, by default) sees no staff-only entry on a staff member's escalation either, as on
    the search page; only its id, marked 職員向け."""
    by_id = city(request).index.by_id
    if audience_of(city(request), user) is Audience.STAFF:
        return by_id
    return {key: r for key, r in by_id.items() if r.audience.visible_to(Audience.RESIDENT)}


def unreadable(entries: Mapping[str, Record], request: Request, entry_id: str) -> bool:
    """In the index, but not for this user's eyes."""
    return entry_id not in entries and entry_id in city(request).index.by_id


def candidates_of(entries: Mapping[str, Record], turn: TranscriptTurn | None) -> list[ConsideredEntry]:
    """The escalated turn's candidates with their titles and departments."""
    if turn is None:
        return []
    return [ConsideredEntry(str(c.get("id", "")), float(c.get("score", 0.0)),
                            entries.get(str(c.get("id", "")))) for c in turn.candidates]


def choice_text(entries: Mapping[str, Record], choice_id: str) -> str:
    """What the resident read on a choice button (the entry may have left the index since, or be one this
    user may not read)."""
    if choice_id == NONE_OF_THESE:
        return NONE_LABEL
    record = entries.get(choice_id)
    return choice_label(record) if record is not None else f"（この画面では示さない候補 {choice_id}）"


def said(entries: Mapping[str, Record], transcript: list[TranscriptTurn]) -> dict[int, str]:
    """Per turn, what the resident did in words: a pick of a choice shows the button's text, not its id."""
    shown: dict[int, str] = {}
    offered: tuple[str, ...] = ()
    for turn in transcript:
        pick = turn.question.strip()
        if pick in (*offered, NONE_OF_THESE) and turn.intent == "question":
            shown[turn.id] = f"（選択）{choice_text(entries, pick)}"
        offered = tuple(turn.choices)
    return shown


def offered_texts(entries: Mapping[str, Record], transcript: list[TranscriptTurn]) -> dict[int, list[str]]:
    """The choices each clarify turn offered, as the resident read them."""
    return {t.id: [choice_text(entries, c) for c in (*t.choices, NONE_OF_THESE)]
            for t in transcript if t.choices}


def last_with_candidates(transcript: list[TranscriptTurn]) -> TranscriptTurn | None:
    """The latest turn where the bot searched: its candidates explain why it handed over."""
    return next((t for t in reversed(transcript) if t.candidates), None)


def conflict_message(escalation: EscalationView, user: SignedIn) -> str:
    """Says who got there first, in words an agent reads at a glance."""
    claimed = escalation.status == EscalationStatus.CLAIMED
    if claimed and escalation.claimed_by and escalation.claimed_by != user.username:
        return f"既に{escalation.claimed_by}さんが対応中です。"
    if escalation.status == EscalationStatus.ANSWERED and not may_reply(escalation):
        return ANSWERED_ALREADY
    status = ESCALATION_STATUS_LABELS.get(escalation.status, escalation.status)
    return f"この引き継ぎは既に「{status}」です" + (
        f"（{escalation.claimed_by}さん）。" if escalation.claimed_by else "。")


def way_of(request: Request, escalation: EscalationView) -> dict[str, str]:
    """Which way a reply will go, in words, and a warning when the resident asked for e-mail the server
    cannot send."""
    mail_on = city(request).settings.mail_on
    via = reply_way(escalation, mail_on)
    words = {"email": f"メール（{escalation.contact_email}）",
             "web": "ウェブのチャット（住民が次にチャットを開いたときに表示）",
             "line": "LINE", "slack": "Slack のスレッド",
             "": "送り先がありません。電話などで連絡してください"}[via]
    asked_mail = escalation.preferred_reply == "email" and bool(escalation.contact_email)
    return {"way": words, "way_short": VIA_WORDS[via],
            "mail_off": MAIL_OFF if asked_mail and not mail_on else ""}


def resident_language(question: str | None, transcript: list[TranscriptTurn]) -> str:
    """The resident's language as the bot detects it (「English」, 「Tiếng Việt」 …), from the question the
    escalation is about, else the last thing the resident typed; agents see it before they open the text."""
    typed = question or next((t.question for t in reversed(transcript) if t.question), "")
    return language_name(detect_language(typed)) if typed else "—"


def escalation_page(request: Request, escalation_id: str, user: SignedIn, status: int = 200,
                    alert: str = "", done: str = "", extra: dict | None = None) -> Response:
    """The escalation with its transcript, candidates, contact details and the actions this agent may take."""
    served = city(request)
    escalations = served.desk.escalations
    escalation = escalations.get(escalation_id)
    transcript, later = escalations.transcript(escalation_id), escalations.later(escalation_id)
    question = escalations.resident_question(escalation_id)
    claimed_by_other = escalation.claimed_by not in (None, user.username)
    if not alert and claimed_by_other and escalation.status == EscalationStatus.CLAIMED:
        alert = conflict_message(escalation, user)
    entries = readable_entries(request, user)
    return page(request, "escalation.html", status=status, escalation=escalation, transcript=transcript,
                later=later, entries=entries,
                hidden=lambda entry_id: unreadable(entries, request, entry_id),
                candidates=candidates_of(entries, last_with_candidates(transcript)),
                said=said(entries, transcript), offered=offered_texts(entries, transcript),
                resident_question=question, resident_language=resident_language(question, transcript),
                seen_turn=max((t.id for t in (*transcript, *later)), default=0),
                mine=escalation.claimed_by in (None, user.username), can_reply=may_reply(escalation),
                may_free=escalation.status == EscalationStatus.CLAIMED and (
                    escalation.claimed_by == user.username or user.can(Role.EDITOR)),
                alert=alert, done=DONE.get(done, ""),
                status_labels=ESCALATION_STATUS_LABELS, channel_labels=CHANNEL_LABELS,
                audience_labels=AUDIENCE_LABELS,
                delivery_labels=DELIVERY_LABELS, decision_labels=DECIDED_LABELS,
                preferred_labels=PREFERRED_LABELS,
                reason_labels=REASON_LABELS, via_labels=VIA_WORDS,
                marked=marked_entries(request, escalation_id), **way_of(request, escalation), **(extra or {}))


@router.get("/escalations/{escalation_id}")
def show(request: Request, escalation_id: str, done: str = "", labelled: str = Query("", max_length=128),
         user: SignedIn = Agent) -> Response:
    """The page itself; after a reply that quoted one entry whole, the agent is told it became a label."""
    return escalation_page(request, escalation_id, user, done=done, extra={"labelled": labelled})


def act(request: Request, escalation_id: str, user: SignedIn, action: str,
        work: Callable[[], object]) -> Response:
    """Run one action; on success 303 back to the page, on a conflict the page again with 409 and why."""
    try:
        work()
    except ConflictError:
        escalation = city(request).desk.escalations.get(escalation_id)
        return escalation_page(request, escalation_id, user, 409, conflict_message(escalation, user))
    return RedirectResponse(f"/desk/escalations/{escalation_id}?done={action}", status_code=303)


@router.post("/escalations/{escalation_id}/claim")
def claim(request: Request, escalation_id: str, user: SignedIn = Agent) -> Response:
    """Take it; only one agent can (the store's conditional update decides)."""
    return act(request, escalation_id, user, "claim",
               lambda: city(request).desk.escalations.claim(escalation_id, user.username))


@router.post("/escalations/{escalation_id}/release")
def release(request: Request, escalation_id: str, user: SignedIn = Agent) -> Response:
    """Back to the queue: the agent's own claim, or an editor freeing the claim of an agent who is away."""
    return act(request, escalation_id, user, "release",
               lambda: city(request).desk.escalations.release(escalation_id, user.username,
                                                              user.can(Role.EDITOR)))


@router.post("/escalations/{escalation_id}/reply")
def reply(request: Request, escalation_id: str, text: str = Form(min_length=1, max_length=MAX_REPLY_CHARS),
          seen: int | None = Form(None), user: SignedIn = Agent) -> Response:
    """Save the reply and start its delivery through the channel the resident used; not when the resident
    wrote more after the page was opened (`seen`: its last turn), which the agent is shown first."""
    if not text.strip():
        return escalation_page(request, escalation_id, user, 400, "返信の本文を書いてください。")
    later = city(request).desk.escalations.later(escalation_id)
    if seen is not None and any(turn.id > seen for turn in later):
        return escalation_page(request, escalation_id, user, 409, WROTE_SINCE, extra={"draft_text": text})
    response = act(request, escalation_id, user, "reply",
                   lambda: city(request).desk.escalations.reply(escalation_id, user.username, text.strip(),
                                                                 city(request).settings.mail_on))
    if response.status_code == 303:
        if labelled := label_quoted(request, escalation_id, text, user):
            response.headers["location"] += f"&labelled={quote(labelled)}"
        city(request).wake_outbox()
    return response


@router.post("/escalations/{escalation_id}/callback")
def callback(request: Request, escalation_id: str, note: str = Form("", max_length=MAX_REPLY_CHARS),
             user: SignedIn = Agent) -> Response:
    """The agent phoned the resident back; madoguchi sends nothing."""
    return act(request, escalation_id, user, "callback",
               lambda: city(request).desk.escalations.record_callback(escalation_id, user.username,
                                                                      note.strip()))


@router.post("/escalations/{escalation_id}/close")
def close(request: Request, escalation_id: str, user: SignedIn = Agent) -> Response:
    """Done with an answered escalation."""
    return act(request, escalation_id, user, "close",
               lambda: city(request).desk.escalations.close(escalation_id, user.username))


@router.post("/escalations/{escalation_id}/drop")
def drop(request: Request, escalation_id: str, reason: str = Form(min_length=1, max_length=1000),
         user: SignedIn = Agent) -> Response:
    """Not to be answered (spam, duplicate, test); the reason is required and kept."""
    if not reason.strip():
        return escalation_page(request, escalation_id, user, 400, "取り下げる理由を書いてください。")
    return act(request, escalation_id, user, "drop",
               lambda: city(request).desk.escalations.drop(escalation_id, user.username, reason))
