"""A suggested reply on the escalation page: drafted from cited sources, never sent without the agent.

`/desk/escalations/{id}/draft` shows the escalation page again with the draft beside it and its text
in the reply box, where the agent edits it and presses send. Residents keep being answered while an agent
waits for the (possibly slow) call to the city's model server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from bot.service.contracts import Role, SignedIn
from channels.desk.auth import require_role
from channels.desk.escalation import escalation_page
from channels.desk.render import city, desk_subrouter
from channels.desk.search import audience_of
from channels.desk.worker import worker
from knowledge.records import Audience

# drafting brings LangChain: loaded with the first draft an agent asks for, not in every worker
if TYPE_CHECKING:
    from bot.drafting import Draft

router = desk_subrouter()
Agent = Depends(require_role(Role.AGENT))
def reason_words(draft: Draft) -> str:
    """Why there is no model draft, in Japanese (in the drafter's words when there is no translation). The
    drafting package is imported only once a draft is asked for: it loads the chat-model library."""
    from bot.drafting import DraftReason

    words = {DraftReason.OFF: "下書きの生成は設定されていません",
             DraftReason.TIMEOUT: "下書きの生成が時間内に終わりませんでした",
             DraftReason.UNREACHABLE: "下書きを作るモデルにつながりませんでした",
             DraftReason.UNSUPPORTED: "生成された文のどれも出典で裏づけられませんでした",
             DraftReason.NO_SOURCES: "質問に合う FAQ や資料がありませんでした"}
    return words.get(draft.reason, draft.stated_reason)


def make_draft(request: Request, escalation_id: str, user: SignedIn) -> Draft:
    """Sources both the escalation's audience and this desk user may see (a staff question drafted by a
    contracted call center's agent quotes no staff-only rule), the model's reply, then the check."""
    from bot.drafting import sources_for

    served, drafter = city(request), worker(request).drafter
    question = served.desk.escalations.resident_question(escalation_id)
    asked_by = Audience(served.desk.escalations.get(escalation_id).audience)
    audience = asked_by if audience_of(served, user) is Audience.STAFF else Audience.RESIDENT
    sources = sources_for(served.bot, question, audience)
    return drafter.check(sources, drafter.ask(question, sources))


def reply_text(draft: Draft) -> str:
    """What goes into the reply box: the sentences, then the cited pages for the resident to read."""
    by_id = {source.id: source for source in draft.sources}
    urls = dict.fromkeys(by_id[c].url for s in draft.sentences for c in s.citations if by_id[c].url)
    lines = [sentence.text for sentence in draft.sentences]
    return "\n".join(lines + (["", "くわしくは:"] + list(urls) if urls else []))


@router.get("/escalations/{escalation_id}/draft")
async def draft_page(request: Request, escalation_id: str, user: SignedIn = Agent) -> Response:
    """The escalation page with a cited draft (or the cited passages) ready to edit."""
    draft = await run_in_threadpool(make_draft, request, escalation_id, user)
    return await run_in_threadpool(escalation_page, request, escalation_id, user, 200, "", "",
                                   {"draft": draft, "draft_text": reply_text(draft),
                                    "draft_reason": reason_words(draft)})
