"""What the channels may know of the store: the states, values and plain records its services take and return.

The desk, the web, LINE, Slack and the delivery worker call the city's services (`City`, `City.desk`) and
import the types of those calls from here, never from `bot.store`, so the store's tables and sessions can
change without an adapter noticing (import-linter holds them to it). Everything here is a value (enums,
frozen dataclasses, constants, pure functions over them) except `Spool`, named so the delivery worker can
type the spool the city hands it; no row of a table and no session leaves the store.
"""

from __future__ import annotations

from bot.store.accounts import ROLES, NewSession, SignedIn
from bot.store.call_insights import CallFigures
from bot.store.calls import OUTCOMES as CALL_OUTCOMES
from bot.store.calls import CallFacts
from bot.store.entries import DECIDED, draft_mark, live_of, open_draft
from bot.store.entry_fields import EntryFields, split_paraphrases
from bot.store.escalations import STATUSES, TranscriptTurn, may_reply, reply_way
from bot.store.insights import JST, Decisions, DepartmentLoad, Period, today_jst
from bot.store.labels import AGREEMENT
from bot.store.labels import Key as LabelKey
from bot.store.masking import mask_personal_data
from bot.store.outbox import OutboxItem
from bot.store.routes import ReplyRoute
from bot.store.spool import Spool
from bot.store.states import (
    CHANNEL_LABELS,
    CallOutcome,
    Channel,
    Delivery,
    EscalationStatus,
    LabelSource,
    ReplyVia,
    Role,
    SignInFailure,
    VersionStatus,
)
from bot.store.tables import as_utc
from bot.store.values import PART_LENGTH, CleanStr, SentStr, storable
from bot.store.views import EntryVersionView, EscalationView

__all__ = [
    "AGREEMENT", "CALL_OUTCOMES", "CHANNEL_LABELS", "DECIDED", "JST", "PART_LENGTH", "ROLES", "STATUSES",
    "CallFacts", "CallFigures", "CallOutcome", "Channel", "CleanStr", "Decisions", "Delivery",
    "DepartmentLoad", "EntryFields", "EntryVersionView", "EscalationStatus", "EscalationView", "LabelKey",
    "LabelSource", "NewSession", "OutboxItem", "Period", "ReplyRoute", "ReplyVia", "Role", "SentStr",
    "SignInFailure", "SignedIn", "Spool", "TranscriptTurn", "VersionStatus",
    "as_utc", "draft_mark", "live_of", "mask_personal_data", "may_reply", "open_draft", "reply_way",
    "split_paraphrases", "storable", "today_jst",
]
