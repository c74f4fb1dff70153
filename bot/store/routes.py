"""Reply routes: how to reach the person who asked (a LINE user id, a Slack thread), kept encrypted.

Conversations carry only a keyed hash of a chat user's id, which cannot be messaged. An escalation
needs the real address so an agent's reply can be pushed back; it is sealed with a key derived from
the city's secret key, so a database dump alone reveals nobody.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken

from knowledge.core.errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class ReplyRoute:
    """Where a reply goes: `channel` plus the channel's own address fields."""

    channel: str
    address: dict[str, str] = field(default_factory=dict)


class RouteCipher:
    """Seals and opens routes with Fernet (AES-128-CBC + HMAC-SHA256) under a derived key."""

    def __init__(self, secret: bytes) -> None:
        derived = hashlib.sha256(b"madoguchi reply route\0" + secret).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, route: ReplyRoute) -> str:
        """An opaque token for the database."""
        plain = json.dumps({"channel": route.channel, "address": route.address}, ensure_ascii=False)
        return self._fernet.encrypt(plain.encode()).decode()

    def open(self, token: str) -> ReplyRoute:
        """The route back; ConfigurationError when the key changed since it was sealed."""
        try:
            data = json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise ConfigurationError("a reply route cannot be opened: MADOGUCHI_SECRET_KEY changed") from None
        return ReplyRoute(data["channel"], data["address"])
