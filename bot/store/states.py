"""The words the store keeps in its status, state, role and channel columns, one enum each.

They are `StrEnum`s, so the database, the audit log and JSON hold the same strings as before; code
compares and looks up by member, and the desk's Japanese label tables are keyed by the members.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """Where a resident's (or caller's) conversation happens."""

    WEB = "web"
    LINE = "line"
    SLACK = "slack"
    PHONE = "phone"  # calls an agent logs at the desk (bot/store/calls.py)


CHANNEL_LABELS: dict[str, str] = {Channel.WEB: "ウェブ", Channel.LINE: "LINE", Channel.SLACK: "Slack",
                                  Channel.PHONE: "電話"}  # as the desk and its notices name them


class ReplyVia(StrEnum):
    """How an agent's reply reaches the resident (`Escalation.reply_via`); NONE: no way to send it."""

    NONE = ""
    WEB = "web"
    LINE = "line"
    SLACK = "slack"
    EMAIL = "email"


class EscalationStatus(StrEnum):
    """An escalation's way through the desk: new → claimed → answered → closed, or dropped."""

    NEW = "new"
    CLAIMED = "claimed"
    ANSWERED = "answered"
    CLOSED = "closed"
    DROPPED = "dropped"


class Delivery(StrEnum):
    """Where an agent's reply stands (`Escalation.delivery`); NONE: no reply yet."""

    NONE = ""
    WAITING = "waiting"  # shown when the resident next opens the chat
    PENDING = "pending"  # in the outbox
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    UNREACHABLE = "unreachable"  # nowhere to send it
    CALLBACK = "callback"  # the agent phoned back instead


class OutboxState(StrEnum):
    """An outbox row: waiting to be done, done, or given up after its last attempt."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class VersionStatus(StrEnum):
    """An FAQ entry version: a draft until an editor decides; the newest decided version is what is live."""

    DRAFT = "draft"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETIRED = "retired"


class Role(StrEnum):
    """A desk account's role, from least to most allowed (admin ⊇ editor ⊇ agent)."""

    AGENT = "agent"
    EDITOR = "editor"
    ADMIN = "admin"


class SignInFailure(StrEnum):
    """Why a sign-in was refused, as the audit log records it (the person is told only that it failed)."""

    UNKNOWN_USER = "unknown user"
    WRONG_PASSWORD = "wrong password"
    LOCKED = "locked"
    INACTIVE = "inactive"
    ATTEMPTS_IN_PROGRESS = "attempts in progress"
    THROTTLED = "too many attempts from the address"


class LabelSource(StrEnum):
    """Who said a question is answered by an entry (`QuestionLabel.source`)."""

    AGENT = "agent"
    EDITOR = "editor"
    APPROVED = "approved"  # an approved desk FAQ written for the question
    WEAK = "weak"  # a resident's pick or 👍, until an editor accepts it


class LabelStatus(StrEnum):
    """Whether a label teaches the bot (`QuestionLabel.status`): an editor's removal keeps the row, so the
    same question is not learned again from the same conversation."""

    ACTIVE = "active"
    REMOVED = "removed"


class CallOutcome(StrEnum):
    """How a phone call an agent logged ended (`Call.outcome`)."""

    ANSWERED = "answered"  # with an entry
    FORWARDED = "forwarded"  # to a department
    UNRESOLVED = "unresolved"  # becomes an escalation


class Reason(StrEnum):
    """Why a question was handed to people (`Escalation.reason`): by the engine (or, for URGENT, answered
    with the lines to call first), or by an agent who could not resolve a call."""

    NONE = ""
    NO_MATCH = "no entry matched with enough confidence"
    NONE_FIT = "none of the offered choices fit"
    PAST_LAST_CHOICE = "a number past the last choice"
    ASKED_FOR_PERSON = "asked for a person"
    URGENT = "urgent situation"  # which one is `Answer.urgent`
    UNRESOLVED_CALL = "not resolved on the phone"  # a call an agent logged as unresolved (bot/store/calls.py)


class TurnDecision(StrEnum):
    """What became of one question (`Turn.decision`): the bot's four decisions (bot/answer.py `Decision`
    holds the same strings), and a call an agent forwarded to a department."""

    ANSWER = "answer"
    CLARIFY = "clarify"
    ESCALATE = "escalate"
    SMALLTALK = "smalltalk"
    FORWARD = "forward"  # calls only (bot/store/calls.py)
