"""A question typed exactly as one entry's question or paraphrase (written or learned) is that entry's.

Fusion weighs many signals, and an entry whose answer shares the question's topic words can outrank the
entry that has the resident's very wording among its paraphrases: asked verbatim, 6 % of the sample city's
1,462 questions and paraphrases put another entry first (1.6 % were answered with it). That also kept the
learning loop from working: a question an agent had marked, asked again word for word, could still get the
entry the bot chose before. The match ignores width, case, spaces and punctuation; wording two entries share
is nobody's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from indexer.normalise import normalise_width

SHORTEST = 4  # characters: 「税金」 alone is too little to be sure whose it is
_NOT_WORDING = re.compile(r"[\s\W_]+")
SHARED = -1


def wording(text: str) -> str:
    """The text as compared: width-normalised, lower case, without spaces or punctuation."""
    return _NOT_WORDING.sub("", normalise_width(text))


class ExactWording:
    """Which record each question or paraphrase belongs to, for `owner()`."""

    def __init__(self, units: Iterable[tuple[str, int]]) -> None:
        self._owners: dict[str, int] = {}
        for text, record in units:
            key = wording(text)
            if len(key) >= SHORTEST:
                self._owners[key] = record if self._owners.get(key, record) == record else SHARED

    def owner(self, text: str) -> int | None:
        """The record whose question or paraphrase reads exactly as `text`, if exactly one has it."""
        found = self._owners.get(wording(text))
        return None if found is None or found == SHARED else found
