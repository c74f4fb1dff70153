"""What `/slack/events` checks before bolt reads a request: the signature first, then the body's shape.

Bolt parses the body before it verifies the signature, so unsigned garbage would reach its parser;
here anything unsigned gets 401 and anything signed but unreadable gets 400, never a 500.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from fastapi import Request
from slack_sdk.signature import SignatureVerifier

from knowledge.core.errors import RequestError, UnauthorizedError


async def check_slack_request(request: Request, signing_secret: str) -> None:
    """UnauthorizedError unless Slack signed this body; RequestError unless it is an object Slack sends."""
    body = await request.body()  # Starlette keeps it, so bolt reads the same bytes afterwards
    if not _signed(body, request.headers.get("x-slack-request-timestamp"),
                   request.headers.get("x-slack-signature"), signing_secret):
        raise UnauthorizedError("invalid or missing X-Slack-Signature")
    if not isinstance(_payload(body, request.headers.get("content-type", "")), dict):
        raise RequestError("the body is not a Slack event, command or interaction")


def _signed(body: bytes, timestamp: str | None, signature: str | None, secret: str) -> bool:
    try:
        return SignatureVerifier(secret).is_valid(body, timestamp, signature)
    except (ValueError, UnicodeDecodeError):  # a timestamp that is not a number, a body that is not UTF-8
        return False


def _payload(body: bytes, content_type: str) -> object:
    """The parsed body (an interaction's `payload` field), or None when it cannot be read."""
    try:
        text = body.decode("utf-8")
        if content_type.startswith("application/x-www-form-urlencoded"):
            form = parse_qs(text)
            return json.loads(form["payload"][0]) if "payload" in form else form
        return json.loads(text)
    except (ValueError, RecursionError):
        return None
