"""What a draft is: sentences tied to numbered sources, and how it was made.

A draft deliberately has no recipient, address or channel: it is text plus citations, so nothing in a
resident's message or a document can change where a reply goes. The desk sends what the agent edited.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from bot.compose import choice_label
from bot.grounding import Cited, addresses_in
from knowledge.records import Record

EXCERPT_CHARS = 300
PROMPT_CHARS = 1500
FALLBACK_SOURCES = 3


class DraftMethod(StrEnum):
    """model: sentences a chat model wrote and the support check kept; fallback: the sources' own words."""

    MODEL = "model"
    FALLBACK = "fallback"


class DraftReason(StrEnum):
    """Why an agent gets the sources' own words instead of the model's draft (NONE: the model's draft)."""

    NONE = ""
    NO_SOURCES = "no FAQ entry or passage matched the question"
    OFF = "drafting is off (MADOGUCHI_DRAFT_MODEL_URL is not set)"
    TIMEOUT = "the drafting model did not answer in time"
    UNREACHABLE = "the drafting model could not be reached"
    MODEL_FAILED = "the drafting model failed"  # the error's type is `Draft.failure`
    UNSUPPORTED = "no sentence of the model's draft was supported"


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of a text, cut after the last full sentence that fits."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text.rfind("。", 0, limit)
    return text[: cut + 1] if cut > 0 else text[:limit] + "…"


def source_text(record: Record) -> str:
    """Everything the model is shown about a source, and so everything a sentence may rest on."""
    lines = [f"題: {choice_label(record)}", f"担当: {record.department}", f"連絡先: {record.contact}",
             f"本文: {record.answer.strip()[:PROMPT_CHARS]}"]
    return "\n".join(line for line in lines if not line.endswith(": "))


def cited(records: list[Record]) -> Cited:
    """The text and own addresses (page, contact) of the cited sources."""
    text = "\n".join(source_text(r) for r in records)
    return Cited(text, frozenset(addresses_in(" ".join(f"{r.url} {r.contact}" for r in records))))


@dataclass(frozen=True, slots=True)
class DraftSource:
    """A numbered source as an agent sees it; `number` is the n of the [n] markers."""

    number: int
    id: str
    kind: str
    title: str
    department: str
    url: str
    excerpt: str

    @classmethod
    def from_record(cls, number: int, record: Record) -> DraftSource:
        """Number a retrieved record for the prompt and the page."""
        return cls(number, record.id, record.kind, choice_label(record), record.department, record.url,
                   excerpt(record.answer))


@dataclass(frozen=True, slots=True)
class DraftSentence:
    """One sentence and the ids of the sources that support it."""

    text: str
    citations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DroppedSentence:
    """A sentence the model wrote that was not kept, and why (kept for review, never shown as a draft)."""

    text: str
    cited_numbers: tuple[int, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class Draft:
    """A suggested reply for an agent to edit and send; never sent as it is."""

    sentences: tuple[DraftSentence, ...]
    sources: tuple[DraftSource, ...]
    method: DraftMethod
    reason: DraftReason = DraftReason.NONE
    model: str = ""
    dropped: tuple[DroppedSentence, ...] = ()
    failure: str = ""  # the type of error the model's server gave, with MODEL_FAILED

    @property
    def stated_reason(self) -> str:
        """The reason in words, with the error's type when the model failed."""
        return f"{self.reason} ({self.failure})" if self.failure else str(self.reason)

    def numbers(self, sentence: DraftSentence) -> tuple[int, ...]:
        """The [n] markers of a sentence, in citation order."""
        by_id = {source.id: source.number for source in self.sources}
        return tuple(by_id[source_id] for source_id in sentence.citations)

    def to_json(self) -> dict[str, Any]:
        """A plain dict for the desk's page or API."""
        sentences = [{"text": s.text, "citations": list(s.citations), "numbers": list(self.numbers(s))}
                     for s in self.sentences]
        dropped = [{"text": d.text, "numbers": list(d.cited_numbers), "reason": d.reason}
                   for d in self.dropped]
        return {"method": self.method.value, "reason": self.stated_reason, "model": self.model,
                "sentences": sentences,
                "sources": [asdict(source) for source in self.sources], "dropped": dropped}


def fallback(sources: tuple[DraftSource, ...], reason: DraftReason,
             dropped: tuple[DroppedSentence, ...] = (), failure: str = "") -> Draft:
    """The best sources' own words, each citing itself: what the agent sees when no model draft is usable."""
    sentences = tuple(DraftSentence(s.excerpt, (s.id,)) for s in sources[:FALLBACK_SOURCES])
    return Draft(sentences, sources, DraftMethod.FALLBACK, reason, dropped=dropped, failure=failure)
