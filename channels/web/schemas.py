"""Request and response shapes of the web API; they are the OpenAPI schema."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from bot.service.contracts import PART_LENGTH, CleanStr, SentStr

SESSION_PATTERN = rf"^[A-Za-z0-9_-]{{8,{PART_LENGTH}}}$"  # the longest part a conversation id keeps as sent
NOT_BLANK = r"\S"
Language = Literal["ja", "en", "zh-Hans", "ko", "vi", "pt"]


class AskRequest(BaseModel):
    """A resident's message (`text`) or a pick from the last turn's choices (`choice_id`): one of them, so
    that what is stored as the question is what was answered."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "oneOf": [{"required": ["text"]}, {"required": ["choice_id"]}]})
    text: CleanStr = Field("", min_length=1, max_length=10_000, pattern=NOT_BLANK,
                           description="What the resident typed.")
    session_id: str | None = Field(None, pattern=SESSION_PATTERN,
                                   description="Kept by the widget in localStorage.")
    choice_id: CleanStr = Field("", min_length=1, max_length=128, pattern=NOT_BLANK,
                           description="Id of a choice offered in the last turn.")
    furigana: bool = Field(False,
                           description="Also return the reply as HTML with <ruby> readings over kanji words "
                                       "(`message_ruby`, `answer.text_ruby`); computed only when asked.")
    language: Language | None = Field(None,
                                      description="The language of the last reply (its `language`), so a "
                                                  "picked choice is answered in it.")

    @model_validator(mode="after")
    def _something_to_answer(self) -> AskRequest:
        if bool(self.text) == bool(self.choice_id):
            raise ValueError("send either text (a question) or choice_id (a choice from the last turn)")
        return self


def ask_request_model(max_chars: int) -> type[AskRequest]:
    """AskRequest with this server's text limit, so the published schema says what is accepted."""
    text = (CleanStr, Field("", min_length=1, max_length=max_chars, pattern=NOT_BLANK,
                       description=f"What the resident typed (at most {max_chars} characters)."))
    return create_model("AskRequest", __base__=AskRequest, text=text)


class EntryOut(BaseModel):
    """The FAQ entry or manual passage given as the answer."""

    id: str
    question: str
    text: str = Field(description="The answer, in the resident's language where the entry has it.")
    notice: str | None = Field(None, description="One line in the resident's language above an answer that "
                                                 "exists only in Japanese.")
    department: str
    contact: str
    url: str
    valid_from: str | None = None
    valid_until: str | None = None
    text_easy: str | None = Field(None, description="The answer in やさしい日本語, where the city wrote one.")
    text_ruby: str | None = Field(None,
                                  description="`text` as escaped HTML with <ruby> (when furigana was asked).")
    text_easy_ruby: str | None = Field(None, description="`text_easy` with <ruby> (when furigana was asked).")


class ChoiceOut(BaseModel):
    """A button of a clarify turn; id `none` hands the question to a person."""

    id: str
    label: str
    label_ruby: str | None = Field(None, description="`label` with <ruby> (when furigana was asked).")


class EscalationOut(BaseModel):
    """The escalation stored for this question, and what the resident is told."""

    id: str
    message: str
    hours: str
    contact: str


class UrgentOut(BaseModel):
    """An urgent situation recognised before the search: the public lines to call, shown first."""

    id: str
    title: str
    text: str = Field(description="The notice as plain text; `message` starts with it.")
    lines: list[str] = Field(description="One line to call per item, name then number.")


class AskResponse(BaseModel):
    """What the bot says."""

    decision: Literal["answer", "clarify", "escalate", "smalltalk"]
    confidence: float
    message: str
    message_ruby: str | None = Field(None,
                                     description="`message` as escaped HTML whose only tags are <ruby> and "
                                                 "<rt> (when furigana was asked); line breaks stay \\n.")
    answer: EntryOut | None = None
    choices: list[ChoiceOut] | None = None
    escalation: EscalationOut | None = None
    urgent: UrgentOut | None = None
    session_id: str
    language: Language = Field("ja", description="The question's language as detected (BCP-47).")
    answer_language: Language = Field("ja", description="The language `message` is in: `ja` under a foreign "
                                                        "question means the entry has no translation yet.")
    turn_id: int = Field(description="The stored turn; negative while it waits in the outage spool (👍/👎 on "
                                     "it are accepted all the same).")


class FeedbackRequest(BaseModel):
    """👍 / 👎 on a turn."""

    model_config = ConfigDict(extra="forbid")
    session_id: str = Field(pattern=SESSION_PATTERN)
    turn_id: int = Field(ge=-(2**31 - 1), le=2**31 - 1,
                         description="From the ask reply (negative: still spooled).")
    helpful: bool
    comment: CleanStr = Field("", max_length=2_000)


class ContactRequest(BaseModel):
    """How the resident would like the city to reply to an escalated question."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"allOf": [
        {"if": {"properties": {"preferred": {"const": channel}}},
         "then": {"required": [channel], "properties": {channel: {"minLength": 1}}}}
        for channel in ("email", "phone")]})
    session_id: str = Field(pattern=SESSION_PATTERN)
    name: CleanStr = Field("", max_length=200)
    email: SentStr = Field("", max_length=320, pattern=r"^$|^[^@ ]+@[^@ ]+\.[^@ ]+$")
    phone: CleanStr = Field("", max_length=40, pattern=r"^$|^[0-9０-９+()（）\- ー－]{6,40}$")
    preferred: Literal["email", "phone"]

    @model_validator(mode="after")
    def _reachable(self) -> ContactRequest:
        if not getattr(self, self.preferred):
            raise ValueError(f"preferred is {self.preferred} but no {self.preferred} was given")
        return self


class AgentReply(BaseModel):
    """A person's answer to an escalated question, shown in the widget."""

    escalation_id: str
    text: str
    question: str = Field("", description="The resident's question it answers (masked as stored).")
    answered_at: str
    language: str = Field("ja", description="The reply's language (BCP-47), for screen readers.")


class RepliesOut(BaseModel):
    """Agents' replies for this session that the widget has not shown yet (and those it has)."""

    replies: list[AgentReply]


class Health(BaseModel):
    """Liveness and what is loaded."""

    ok: bool
    index_version: str
    store: Literal["ok", "unreachable"]
    spooled: int = Field(0,
                         description="Rows (turns, contact details, 👍/👎) kept in the local spool until the "
                                     "database answers again.")
    set_aside: int = Field(0, description="Spooled rows the database refused; kept masked in the spool "
                                          "file, see the log.")


class ErrorBody(BaseModel):
    """The one error shape of every 4xx/5xx reply."""

    ok: Literal[False] = False
    status: int
    error: str
    detail: list[dict] = Field(default_factory=list)
