"""Slack for staff: slack-bolt listeners over the same `Bot.answer()`, in HTTP or Socket Mode."""

from channels.slack.listeners import build_slack_app

__all__ = ["build_slack_app"]
