"""Drafting a reply for an agent from the best matching sources, every sentence verified.

The bot never needs this: without a model (the default), or when the model is unreachable, slow or
talks nonsense, the agent gets the cited passages themselves and never an error.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import bot.drafting.prompt as prompt
from bot.drafting.draft import (
    Draft,
    DraftMethod,
    DraftReason,
    DraftSentence,
    DraftSource,
    DroppedSentence,
    cited,
    fallback,
)
from bot.drafting.relevance import about_the_question
from bot.grounding import SupportCheck
from indexer.normalise import TextNormaliser
from knowledge.core.errors import ConfigurationError
from knowledge.core.settings import Settings
from knowledge.records import Audience, Record

if TYPE_CHECKING:  # langchain only when a city drafts with a model: not in every serving worker
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

    from bot.engine import Bot

MAX_SOURCES = 5
MAX_TOKENS = 600
log = logging.getLogger("madoguchi.drafting")


def chat_model_from_settings(settings: Settings) -> BaseChatModel | None:
    """The city's OpenAI-compatible server, or None when drafting is off; no retries: an agent is waiting."""
    if not settings.draft_model_url:
        return None
    if not settings.draft_model_name:
        raise ConfigurationError("MADOGUCHI_DRAFT_MODEL_URL is set but MADOGUCHI_DRAFT_MODEL_NAME is empty")
    from langchain_openai import ChatOpenAI

    key = settings.draft_api_key.get_secret_value() if settings.draft_api_key else "not-needed"
    return ChatOpenAI(base_url=settings.draft_model_url, model=settings.draft_model_name, api_key=key,
                      timeout=settings.draft_timeout_seconds, max_retries=0, temperature=0,
                      max_completion_tokens=MAX_TOKENS)


def reply_text(message: BaseMessage) -> str:
    """The text of a chat reply, whether content is a string or a list of blocks."""
    if isinstance(message.content, str):
        return message.content
    return "".join(b if isinstance(b, str) else str(b.get("text", "")) for b in message.content)


def failure(exc: Exception) -> tuple[DraftReason, str]:
    """Why the model gave nothing, and the error's type when that is all there is to say (no URLs, keys or
    question text reach the agent's screen)."""
    names = " ".join(kind.__name__ for kind in type(exc).__mro__)
    if "Timeout" in names:
        return DraftReason.TIMEOUT, ""
    if "Connection" in names:
        return DraftReason.UNREACHABLE, ""
    return DraftReason.MODEL_FAILED, type(exc).__name__


def ask(chat: BaseChatModel, messages: list[BaseMessage]) -> str | Exception:
    """The model's reply text, or what went wrong; any failure of the city's model server is handled alike."""
    try:
        return reply_text(chat.invoke(messages))
    except Exception as exc:  # noqa: BLE001 - a broken model server must never become an error for the agent
        log.warning("drafting model failed: %s", type(exc).__name__)
        return exc


def verify(claims: list[prompt.Claim], records: list[Record],
           support: SupportCheck) -> tuple[list[DraftSentence], list[DroppedSentence]]:
    """Keep the sentences that cite given sources only and are supported by them; mark the others."""
    kept: list[DraftSentence] = []
    dropped: list[DroppedSentence] = []
    for claim in claims:
        reason = rejection(claim, records, support)
        if reason:
            dropped.append(DroppedSentence(claim.text, claim.numbers, reason))
        else:
            kept.append(DraftSentence(claim.text, tuple(records[n - 1].id for n in claim.numbers)))
    return kept, dropped


def rejection(claim: prompt.Claim, records: list[Record], support: SupportCheck) -> str:
    """Empty when the sentence may stay; otherwise why not."""
    if not claim.numbers:
        return "no citation"
    if any(not 1 <= n <= len(records) for n in claim.numbers):
        return "cites a source that was not given"
    return support.run(claim.text, cited([records[n - 1] for n in claim.numbers])).reason


class Drafter:
    """Cheap to construct: a chat model (None = drafting off) and the support check."""

    def __init__(self, chat: BaseChatModel | None, support: SupportCheck, model_name: str = "") -> None:
        self.chat, self.support, self.model_name = chat, support, model_name

    @classmethod
    def from_settings(cls, settings: Settings, normaliser: TextNormaliser) -> Drafter:
        """Drafting as configured; pass the bot's normaliser (`bot.runtime.normaliser`)."""
        return cls(chat_model_from_settings(settings), SupportCheck(normaliser), settings.draft_model_name)

    def run(self, question: str, sources: list[Record]) -> Draft:
        """A verified draft from the model, or the cited passages with the reason there is no draft."""
        return self.check(sources, self.ask(question, sources))

    def ask(self, question: str, sources: list[Record]) -> str | Exception | None:
        """The slow part, the model's raw reply."""
        records = sources[:MAX_SOURCES]
        if not records or self.chat is None:
            return None
        return ask(self.chat, prompt.messages(prompt.DRAFT_SYSTEM, question, records))

    def check(self, sources: list[Record], reply: str | Exception | None) -> Draft:
        """Verify the reply against the sources."""
        records = sources[:MAX_SOURCES]
        given = tuple(DraftSource.from_record(n, r) for n, r in enumerate(records, start=1))
        if not given:
            return Draft((), (), DraftMethod.FALLBACK, DraftReason.NO_SOURCES)
        if reply is None:
            return fallback(given, DraftReason.OFF)
        if isinstance(reply, Exception):
            reason, error = failure(reply)
            return fallback(given, reason, failure=error)
        kept, dropped = verify(prompt.parse(reply), records, self.support)
        if not kept:
            return fallback(given, DraftReason.UNSUPPORTED, tuple(dropped))
        return Draft(tuple(kept), given, DraftMethod.MODEL, DraftReason.NONE, self.model_name, tuple(dropped))


def sources_for(bot: Bot, question: str, audience: Audience, k: int = MAX_SOURCES) -> list[Record]:
    """The best matches this audience may see (a resident's escalation never draws on staff records) that are
    about the question: unrelated entries are never shown to the agent as a draft's sources."""
    ranking = bot.rank(question, audience)
    visible = [c.record for c in bot.candidates(ranking, k) if c.record.audience.visible_to(audience)]
    return about_the_question(bot.runtime.normaliser, question, visible)


def draft_for_escalation(bot: Bot, drafter: Drafter, question: str, audience: Audience) -> Draft:
    """What the desk calls when an agent opens an escalation: a draft, or the cited passages, to edit."""
    return drafter.run(question, sources_for(bot, question, audience))
