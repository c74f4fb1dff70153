"""What the store can hold: text PostgreSQL accepts, and conversation ids that fit their columns.

PostgreSQL refuses a NUL byte in text and cannot encode a lone surrogate, and it refuses a value longer
than its column, where SQLite silently keeps all three. Every channel cleans what people send with
`storable` before anything else looks at it (masking included, so a NUL cannot split a phone number
past the mask), and builds conversation ids (and the store its event ids) only with `bounded_id`, so a
write is never refused for what a resident typed or how long a platform's ids are.
"""

from __future__ import annotations

import hashlib
import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator
from sqlalchemy.types import String, Text, TypeDecorator

# conversations.id and every column holding a conversation id (migration 0007); events take 128
ID_LENGTH = 255
PART_LENGTH = 64  # one part of an id as sent (a web session id, a Slack team or thread); longer is hashed
CHANNEL_LENGTH = 16
MAX_PARTS = 3  # channel + 3 parts of at most 64 characters, with separators, stays under ID_LENGTH
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` without NUL bytes and lone surrogates, the characters PostgreSQL cannot keep."""
    return _UNSTORABLE.sub("", text)


def _cleaned(value: object) -> object:
    return storable(value) if isinstance(value, str) else value


CleanStr = Annotated[str, BeforeValidator(_cleaned)]
"""A request field that is cleaned before its length and pattern are checked."""

SentStr = Annotated[str, AfterValidator(_cleaned)]
"""A request field whose pattern is checked on what was sent, as its published schema says, and that is
cleaned afterwards: a pattern of "anything but" classes (an e-mail address) must not fail only because a NUL
between two of its parts was taken out first."""


def bounded_id(channel: str, *parts: str) -> str:
    """`channel:part:…` (a conversation, or a platform's event), every part at most PART_LENGTH characters (a
    longer one, or one with characters PostgreSQL cannot keep, becomes its hash), so the id always fits its
    column; the same parts always give the same id, and ids of a person keep their common prefix."""
    if len(channel) > CHANNEL_LENGTH or len(parts) > MAX_PARTS:
        raise ValueError(f"a conversation id has a channel of at most {CHANNEL_LENGTH} characters "
                         f"and at most {MAX_PARTS} parts")
    return ":".join([channel, *(_bounded(part) for part in parts)])


def _bounded(part: str) -> str:
    clean = storable(part)
    if len(clean) <= PART_LENGTH and clean == part:
        return part
    return "h" + hashlib.sha256(part.encode("utf-8", "surrogatepass")).hexdigest()[:40]


class StoredString(TypeDecorator):
    """A text column that drops what PostgreSQL cannot keep, the last guard behind the channels' own
    cleaning (desk forms, `kb import`, look-ups by an id a client sent)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: object, dialect: object) -> object:
        """Clean every value on its way to the database, written or compared."""
        return _cleaned(value)


class StoredText(StoredString):
    """The same for a column without a length."""

    impl = Text
    cache_ok = True
