"""The store's services the call-center desk and the delivery worker call, built once per city.

The desk's pages and the outbox worker receive these through the city (`City.desk`) and never open the store
themselves: accounts and sign-ins, the escalation lifecycle, FAQ entries, labels, logged calls, the figures of
the statistics pages and the outbox. Each is a thin object over the city's one store, so building them once
changes nothing but where they come from. The city's spool file is opened here too, for the same reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.store.accounts import Accounts
from bot.store.call_insights import CallInsights
from bot.store.calls import CallLog
from bot.store.entries import EntryStore
from bot.store.escalations import EscalationStore
from bot.store.insights import Insights
from bot.store.labels import LabelStore
from bot.store.outbox import Outbox
from bot.store.repository import ConversationStore
from bot.store.spool import SPOOL_FILE, Spool
from knowledge.core.settings import Settings


@dataclass(frozen=True, slots=True)
class DeskServices:
    """One city's desk-facing services over its store."""

    accounts: Accounts
    escalations: EscalationStore
    entries: EntryStore
    labels: LabelStore
    calls: CallLog
    insights: Insights
    call_insights: CallInsights
    outbox: Outbox

    @classmethod
    def of(cls, store: ConversationStore, settings: Settings) -> DeskServices:
        """Every service over `store`, with the sign-in rules and outbox retries the city configured."""
        outbox = Outbox(store, settings.outbox_max_attempts, settings.outbox_lease_seconds,
                        settings.outbox_first_delay_seconds)
        return cls(Accounts.from_settings(store, settings), EscalationStore(store), EntryStore(store),
                   LabelStore(store), CallLog(store), Insights(store), CallInsights(store), outbox)


def city_spool(settings: Settings) -> Spool:
    """The city's own spool file, where its residents' turns wait while its store is down."""
    return Spool(settings.resolved_city_dir / SPOOL_FILE, settings.index_name, settings.outbox_lease_seconds)


def left_in_shared_spool(server: Settings) -> tuple[Path, int]:
    """The spool every city of a server shared before each had its own folder, and how many rows wait in it
    (rows that name no city, so no city replays them)."""
    path = server.data_dir / SPOOL_FILE
    return path, Spool(path, "").pending() if path.exists() else 0
