"""Who is staff on Slack: a member (not a guest) whose own workspace is allow-listed.

In a channel shared between organisations (Slack Connect) the envelope's `team_id` is the city's
workspace for everyone in it, so it says nothing about the person speaking. Their own team comes from
the event (`user_team`), the clicking user (`user.team_id`), or else from Slack's `users.info`. A guest of
the city's workspace carries the city's team in every event, so only `users.info` can tell them apart:
it is asked for anyone who would otherwise be staff, and its answer kept for a few minutes.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.service.city import City
from knowledge.records import Audience

log = logging.getLogger("madoguchi.slack")
REMEMBER_SECONDS = 600.0
REMEMBER_USERS = 10_000


@dataclass(frozen=True, slots=True)
class Member:
    """What `users.info` says about one user: their home team, None for a guest or when Slack failed."""

    team: str | None
    until: float


@dataclass(slots=True)
class Speakers:
    """Decides each speaker's audience; remembers Slack's answers so a busy channel is not one lookup per
    message. A failed lookup is not remembered: the next message asks again."""

    ctx: City
    known: dict[str, Member] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def audience(self, client: WebClient, user: str, own_team: str | None) -> Audience:
        """Staff only for a member whose own team is allow-listed; anyone Slack cannot vouch for is a
        resident."""
        staff_teams = self.ctx.settings.slack_staff_teams
        if own_team and own_team not in staff_teams:
            return Audience.RESIDENT  # no need to ask Slack about someone from another organisation
        home = self.home_team(client, user)
        return Audience.STAFF if home and (own_team or home) in staff_teams else Audience.RESIDENT

    def home_team(self, client: WebClient, user: str) -> str | None:
        with self.lock:
            member = self.known.get(user)
        if member is not None and member.until > time.monotonic():
            return member.team
        team, answered = team_from_slack(client, user)
        if answered:
            with self.lock:
                if len(self.known) >= REMEMBER_USERS:
                    self.known.clear()
                self.known[user] = Member(team, time.monotonic() + REMEMBER_SECONDS)
        return team


def team_from_slack(client: WebClient, user: str) -> tuple[str | None, bool]:
    """The user's home team per `users.info` (scope users:read), None for a guest; and whether Slack
    answered at all."""
    if not user:
        return None, False
    try:
        found = client.users_info(user=user).get("user") or {}
    except SlackClientError as failed:
        log.warning("Slack users.info failed, answering as a resident: %s", type(failed).__name__)
        return None, False
    if found.get("is_restricted") or found.get("is_ultra_restricted"):
        return None, True  # a guest of the city's workspace is not staff
    return found.get("team_id"), True
