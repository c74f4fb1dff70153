"""Optional grounded answers: a short answer composed from a manual passage, all or nothing.

Off by default (MADOGUCHI_GROUNDED_ANSWERS). Only records of kind `passage` are ever composed: an FAQ
answer the city approved is always returned verbatim. If any sentence is unsupported, uncited, or the
model fails, the resident gets the passage itself, exactly as without this mode.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import bot.compose as compose
import bot.drafting.prompt as prompt
from bot.drafting.drafter import ask, chat_model_from_settings, verify
from bot.grounding import SupportCheck
from indexer.normalise import TextNormaliser
from knowledge.core.errors import ConfigurationError
from knowledge.core.settings import Settings
from knowledge.records import Record

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


class GroundedComposer:
    """Cheap to construct; the engine calls it only when configured."""

    def __init__(self, chat: BaseChatModel, support: SupportCheck) -> None:
        self.chat, self.support = chat, support

    @classmethod
    def from_settings(cls, settings: Settings, normaliser: TextNormaliser) -> GroundedComposer | None:
        """None unless MADOGUCHI_GROUNDED_ANSWERS is on; on without a model is a configuration error."""
        if not settings.grounded_answers:
            return None
        chat = chat_model_from_settings(settings)
        if chat is None:
            raise ConfigurationError("MADOGUCHI_GROUNDED_ANSWERS needs MADOGUCHI_DRAFT_MODEL_URL")
        return cls(chat, SupportCheck(normaliser))

    def sentences(self, question: str, passage: Record) -> list[str]:
        """The composed sentences, or nothing if any one of them is not supported by the passage."""
        reply = ask(self.chat, prompt.messages(prompt.GROUNDED_SYSTEM, question, [passage]))
        if isinstance(reply, Exception):
            return []
        kept, dropped = verify(prompt.parse(reply), [passage], self.support)
        return [] if dropped else [sentence.text for sentence in kept]

    def run(self, question: str, record: Record) -> tuple[Record, str]:
        """Record and message to show: composed from a passage if every sentence holds, else verbatim."""
        composed = self.sentences(question, record) if record.kind == "passage" else []
        if not composed:
            return record, compose.answer_text(record)
        grounded = replace(record, answer="".join(composed))
        return grounded, compose.answer_text(grounded)
