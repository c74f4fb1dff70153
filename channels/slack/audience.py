"""Who is staff on Slack: the speaker's own workspace, not the workspace the event was delivered to.

In a channel shared between organisations (Slack Connect) the envelope's `team_id` is the city's
workspace for everyone in it, so it says nothing about the person speaking. Their own team comes from
the event (`user_team`), the clicking user (`user.team_id`), or else from Slack's `users.info`.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.service.city import City
from knowledge.records import Audience

log = logging.getLogger("madoguchi.slack")


def speaker_audience(ctx: City, client: WebClient, user: str, own_team: str | None) -> Audience:
    """Staff only when the speaker's own team is allow-listed; anyone Slack cannot vouch for is a resident."""
    team = own_team or team_from_slack(client, user)
    return Audience.STAFF if team and team in ctx.settings.slack_staff_teams else Audience.RESIDENT


def team_from_slack(client: WebClient, user: str) -> str | None:
    """The user's home team per `users.info` (scope users:read); None for guests or when Slack fails."""
    if not user:
        return None
    try:
        found = client.users_info(user=user).get("user") or {}
    except SlackClientError as failed:
        log.warning("Slack users.info failed, answering as a resident: %s", type(failed).__name__)
        return None
    if found.get("is_restricted") or found.get("is_ultra_restricted"):
        return None  # a guest of the city's workspace is not staff
    return found.get("team_id")
