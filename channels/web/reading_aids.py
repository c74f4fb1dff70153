"""Furigana over the web API: the reply's texts as ruby markup, and `POST /api/v1/furigana` for the widget's
own texts and messages shown before the resident switched furigana on.

Only asked-for work: `answer()` never computes readings, so Japanese answers are no slower for anyone
who does not switch furigana on.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from bot.furigana import Furigana, furigana_for
from bot.service.contracts import CleanStr
from channels.web.address_limit import count_address
from channels.web.schemas import AskResponse

router = APIRouter(prefix="/api/v1")
MAX_TEXTS, MAX_TEXT_CHARS = 30, 4000


class FuriganaRequest(BaseModel):
    """Texts the widget shows (its greeting, earlier replies) to be given readings."""

    model_config = ConfigDict(extra="forbid")
    texts: list[Annotated[CleanStr,
                          Field(max_length=MAX_TEXT_CHARS)]] = Field(min_length=1, max_length=MAX_TEXTS,
                                  description=f"At most {MAX_TEXTS} texts of {MAX_TEXT_CHARS} characters.")


class FuriganaOut(BaseModel):
    """Each text as escaped HTML whose only tags are <ruby> and <rt>, in the order sent."""

    ruby: list[str]


def with_ruby(furigana: Furigana, response: AskResponse) -> AskResponse:
    """The reply with `…_ruby` beside each text a resident reads."""
    response.message_ruby = furigana.ruby(response.message)
    if response.answer is not None:
        response.answer.text_ruby = furigana.ruby(response.answer.text)
        if response.answer.text_easy:
            response.answer.text_easy_ruby = furigana.ruby(response.answer.text_easy)
    for choice in response.choices or []:
        choice.label_ruby = furigana.ruby(choice.label)
    return response


@router.post("/furigana", response_model=FuriganaOut)
def furigana(body: FuriganaRequest, request: Request) -> FuriganaOut:
    """Readings for texts the widget already shows; counted against the client address's request limit."""
    ctx = request.app.state.madoguchi
    count_address(request)
    reader = furigana_for(ctx.settings)
    return FuriganaOut(ruby=[reader.ruby(text) for text in body.texts])
