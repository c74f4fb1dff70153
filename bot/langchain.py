"""madoguchi's index as a LangChain retriever, for cities and vendors who build on LangChain.

    from bot.langchain import MadoguchiRetriever
    retriever = MadoguchiRetriever.from_settings(get_settings(), audience="resident", k=5)
    docs = retriever.invoke("転入届に必要なものは？")

Each Document is an approved FAQ answer or manual passage, verbatim, with its id, question, department,
contact, url, audience, kind, fused score and the query's calibrated confidence in `metadata`. A resident
retriever can never return staff records: the audience filter runs before ranking, as in `Bot.answer()`.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from bot.engine import Bot
from knowledge.core.settings import Settings
from knowledge.records import Audience, Record


def to_document(record: Record, score: float, confidence: float) -> Document:
    """One record as a LangChain Document."""
    return Document(page_content=record.answer, id=record.id, metadata={
        "id": record.id, "question": record.question, "department": record.department,
        "contact": record.contact,
        "url": record.url, "audience": record.audience.value, "kind": record.kind, "source": record.source,
        "section_path": list(record.section_path), "score": round(score, 6),
        "confidence": round(confidence, 6)})


class MadoguchiRetriever(BaseRetriever):
    """Ranks with madoguchi's fused, calibrated retrieval; async calls run the same code in a thread."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    bot: Bot
    audience: Audience = Audience.RESIDENT
    k: int = Field(5, ge=1, le=50)

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> MadoguchiRetriever:
        """Load the index and decision model named by the settings."""
        return cls(bot=Bot.from_settings(settings), **kwargs)

    def _get_relevant_documents(self, query: str, *,
                                run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        ranking = self.bot.rank(query, self.audience)
        return [to_document(c.record, c.score, ranking.top1 if n == 0 else 0.0)
                for n, c in enumerate(self.bot.candidates(ranking, self.k))]
