"""What each kind of outbox row means: fan out a new escalation's notifications, deliver a reply."""

from __future__ import annotations

from collections.abc import Callable

from bot.service.contracts import CHANNEL_LABELS, Channel, Delivery, OutboxItem
from bot.service.desk import DeskServices
from channels.delivery.mail import reply_message, send_mail
from channels.delivery.senders import post_slack, post_webhook, push_line
from knowledge.core.errors import ConfigurationError
from knowledge.core.settings import Settings

Handler = Callable[[Settings, DeskServices, "OutboxItem"], None]
REPLY_HEADING = "【{city}の担当者からの回答】\n"
QUOTED_CHARS = 60


def fan_out(settings: Settings, desk: DeskServices, item: OutboxItem) -> None:
    """One row per configured target, so a failing webhook never re-sends the Slack notice."""
    targets = [kind
               for kind, on in (("notify.slack", settings.desk_slack_channel and settings.slack_bot_token),
                                ("notify.webhook", settings.desk_webhook_url)) if on]
    desk.outbox.add_once(item.escalation_id, targets)


def _summary(settings: Settings, desk: DeskServices, escalation_id: str) -> dict:
    escalation = desk.escalations.get(escalation_id)
    return {"event": "escalation.created", "id": escalation.id, "channel": escalation.channel,
            "audience": escalation.audience, "department": escalation.department, "reason": escalation.reason,
            "question": desk.escalations.resident_question(escalation_id)[:200],
            "created_at": escalation.created_at.isoformat(),
            "url": f"{settings.desk_base_url.rstrip('/')}/desk/escalations/{escalation.id}"}


NO_QUESTION = "（質問の本文はありません。担当者と話したいとのことです）"


def notify_slack(settings: Settings, desk: DeskServices, item: OutboxItem) -> None:
    """A short notice with a link into the desk (the question is the masked copy), in the desk's words."""
    event = _summary(settings, desk, item.escalation_id or "")
    asked = f"「{event['question']}」" if event["question"] else NO_QUESTION
    text = (f"新しいお問い合わせ（{CHANNEL_LABELS.get(event['channel'], event['channel'])}・"
            f"{event['department'] or '担当課未定'}）\n{asked}\n{event['url']}")
    post_slack(settings, settings.desk_slack_channel or "", text)


def notify_webhook(settings: Settings, desk: DeskServices, item: OutboxItem) -> None:
    """The same facts as JSON for the city's own systems."""
    post_webhook(settings, _summary(settings, desk, item.escalation_id or ""))


def deliver_reply(settings: Settings, desk: DeskServices, item: OutboxItem) -> None:
    """The agent's reply, by e-mail when the resident asked for it, else back on the channel the question
    came from."""
    escalation = desk.escalations.get(item.escalation_id or "")
    if escalation.reply_via == "email":
        send_mail(settings, reply_message(settings, escalation.contact_email, escalation.reply_text, item.key,
                                          escalation.contact_name))
        desk.escalations.set_delivery(escalation.id, Delivery.DELIVERED)
        return
    route = desk.escalations.route(escalation.id)
    if route is None:
        raise ConfigurationError("this escalation has no reply route")
    text = REPLY_HEADING.format(city=settings.city_name) + about(desk, escalation.id) + escalation.reply_text
    if route.channel == Channel.LINE:
        push_line(settings, route.address["user_id"], text, item.key)
    elif route.channel == Channel.SLACK:
        post_slack(settings, route.address["channel"], text, route.address.get("thread_ts"))
    else:
        raise ConfigurationError(f"replies cannot be pushed on channel {route.channel!r}")
    desk.escalations.set_delivery(escalation.id, Delivery.DELIVERED)


def about(desk: DeskServices, escalation_id: str) -> str:
    """Which question a pushed reply answers (hours later, after other questions, the chat alone does not
    say; the widget shows it beside the reply): the resident's own words, masked as stored."""
    asked = desk.escalations.resident_question(escalation_id)
    if not asked:
        return ""
    return f"（ご質問「{asked if len(asked) <= QUOTED_CHARS else asked[:QUOTED_CHARS] + '…'}」について）\n"


HANDLERS: dict[str, Handler] = {"escalation.created": fan_out, "notify.slack": notify_slack,
                                "notify.webhook": notify_webhook, "reply": deliver_reply}
