"""`madoguchi channel-test` and `madoguchi slack-socket`: for city IT staff wiring up LINE and Slack."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from channels.cli.render import out
from channels.cli.settings import settings_with
from knowledge.core.errors import ConfigurationError, MadoguchiError

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.service.city import City
    from knowledge.core.settings import Settings


def line_event(text: str) -> dict:
    """A text message webhook as LINE sends it."""
    return {"destination": "Usimulated", "events": [{
        "type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
        "webhookEventId": uuid.uuid4().hex.upper(), "deliveryContext": {"isRedelivery": False},
        "source": {"type": "user", "userId": "Usimulated0000000000000000000000"},
        "replyToken": uuid.uuid4().hex,
        "message": {"type": "text", "id": "1", "text": text, "quoteToken": "simulated"}}]}


def slack_event(text: str, team: str) -> dict:
    """An app_mention as Slack's Events API sends it."""
    ts = f"{time.time():.6f}"
    return {"token": "simulated", "team_id": team, "api_app_id": "A0SIMULATED", "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:10]}", "event_time": int(time.time()),
            "event": {"type": "app_mention", "user": "U0SIMULATED", "text": f"<@B0BOT> {text}", "ts": ts,
                      "channel": "C0SIMULATED", "event_ts": ts}}


def signed_line(body: str, secret: str) -> dict[str, str]:
    """LINE's X-Line-Signature of `body`."""
    digest = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return {"X-Line-Signature": base64.b64encode(digest).decode()}


def signed_slack(body: str, secret: str, age: int = 0) -> dict[str, str]:
    """Slack's v0 signature of `body` for a request sent `age` seconds ago."""
    stamp = str(int(time.time()) - age)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def channel_test(
    channel: Annotated[Literal["line", "slack"], typer.Argument(help="line or slack")],
    text: Annotated[str, typer.Option(help="The question to send.")] = "住民票の写しがほしい",
    url: Annotated[str, typer.Option(help="The running madoguchi server.")] = "http://127.0.0.1:8000",
    team: Annotated[str, typer.Option(help="Slack team id to send as.")] = "T0SIMULATED",
) -> None:
    """Send a correctly signed sample event to a running server and show whether it accepted it (the answer
    itself travels from the server to the LINE or Slack API, never back to this command)."""

    settings = settings_with(None)
    kind = channel
    secret = settings.line_channel_secret if kind == "line" else settings.slack_signing_secret
    if secret is None:
        raise ConfigurationError(f"set MADOGUCHI_{kind.upper()}_{'CHANNEL' if kind == 'line' else 'SIGNING'}"
                                 "_SECRET first")
    body = json.dumps(line_event(text) if kind == "line" else slack_event(text, team), ensure_ascii=False)
    sign = signed_line if kind == "line" else signed_slack
    path = "/callback/line" if kind == "line" else "/slack/events"
    import httpx

    try:
        response = httpx.post(url + path, content=body.encode(), timeout=30,
                              headers={"Content-Type": "application/json",
                                       **sign(body, secret.get_secret_value())})
    except httpx.TransportError as exc:
        raise MadoguchiError(f"cannot reach {url} ({exc or type(exc).__name__}): is madoguchi serve running "
                          "there?") from exc
    out.print(f"{path} → HTTP {response.status_code} {response.text[:200]}", highlight=False)
    if response.status_code != 200:
        raise typer.Exit(1)
    setting = "MADOGUCHI_LINE_API_BASE" if kind == "line" else "MADOGUCHI_SLACK_API_BASE"
    out.print(f"accepted: the server answers in the background and sends the reply to the API base it was "
              f"started with ({setting} of the server, not of this command); a sample event's reply "
              f"{'token' if kind == 'line' else 'channel'} is not a real one, so a real "
              f"{'LINE' if kind == 'line' else 'Slack'} refuses it and the server's log says so",
              highlight=False)


def socket_mode_handler(city: City) -> SocketModeHandler:
    """Bolt's Socket Mode handler for the Slack app; it opens its connection through the configured API
    base."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from channels.slack import build_slack_app

    if city.settings.slack_app_token is None:
        raise ConfigurationError("MADOGUCHI_SLACK_APP_TOKEN (xapp-…) is needed for Socket Mode")
    return SocketModeHandler(build_slack_app(city), city.settings.slack_app_token.get_secret_value())


def socket_mode(settings: Settings) -> tuple[SocketModeHandler, City]:
    """What `madoguchi slack-socket` runs: the Socket Mode handler over a city opened as every server worker
    opens one (index watcher, spool and outbox started), so staff are answered from newly published versions
    without a restart and agents' replies are delivered. `City.stop()` ends the city's background work."""
    from channels.server.city import open_city

    city = open_city(settings)
    return socket_mode_handler(city), city


def slack_socket() -> None:
    """Run the Slack channel over Socket Mode (no inbound access needed); the web API is not started."""

    handler, _ = socket_mode(settings_with(None).model_copy(update={"slack_mode": "socket"}))
    out.print("Slack Socket Mode: connecting…")
    handler.start()


def register(app: typer.Typer) -> None:
    """Add the channel commands to `madoguchi`."""
    app.command("channel-test")(channel_test)
    app.command("slack-socket")(slack_socket)
