"""The agents' search (`/desk/search`): the caller's question in, the entries the bot would consider out.

Results are ranked exactly as the bot ranks them (`Bot.rank`, on channel `phone`), with the answer text,
department, contact, validity and why each came up (the query's terms it contains, its score, the bot's
confidence). It is a search, not an answer: nothing is composed (no drafting model is asked per keystroke)
and no intent is read. Staff-only entries are searched only for the roles in MADOGUCHI_DESK_STAFF_ROLES;
every other agent searches as a resident, so a contracted call center never reads an internal rule.

The page works without JavaScript (a form); /static/desk-search.js adds results as you type from
`/desk/search/results`, arrow keys, the copy button and the handling-time timer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import Depends, Query, Request
from starlette.responses import Response

from bot.answer import Decision
from bot.service.city import City
from bot.service.contracts import CallOutcome, Channel, Role, SignedIn
from channels.desk.auth import require_role
from channels.desk.directory import Department, directory
from channels.desk.render import city, desk_subrouter, page
from channels.desk.wording import OUTCOME_WORDS
from indexer.matched import matched_terms
from knowledge.records import Audience, Record

router = desk_subrouter()
Agent = Depends(require_role(Role.AGENT))
CHANNEL = Channel.PHONE
SHOWN = 10
MAX_QUERY_CHARS = 500
DONE_LABELS: dict[str, str] = {
    CallOutcome.ANSWERED: f"「{OUTCOME_WORDS[CallOutcome.ANSWERED]}」を記録しました。"
                          "次の学習で、この質問の言い方を覚えます。",
    CallOutcome.FORWARDED: f"「{OUTCOME_WORDS[CallOutcome.FORWARDED]}」を記録しました。",
    CallOutcome.UNRESOLVED: f"「{OUTCOME_WORDS[CallOutcome.UNRESOLVED]}」を記録し、引き継ぎを作りました。"}
ESCALATION_ID = re.compile(r"^[0-9a-f]{32}$")
WOULD_DECIDE_LABELS = {Decision.ANSWER: "回答する", Decision.CLARIFY: "候補を示して聞き返す",
                       Decision.ESCALATE: "担当者に引き継ぐ"}
Text = Query("", max_length=MAX_QUERY_CHARS, description="The caller's question.")


@dataclass(frozen=True, slots=True)
class Result:
    """One entry or passage as the agent reads it."""

    record: Record
    score: float
    matched: tuple[str, ...]

    @property
    def staff(self) -> bool:
        """Shown with the 「職員向け」 badge."""
        return self.record.audience is Audience.STAFF

    @property
    def title(self) -> str:
        """An entry's question, or a passage's place in its document."""
        if self.record.kind == "faq":
            return self.record.question
        return " > ".join(self.record.section_path) or self.record.question


@dataclass(frozen=True, slots=True)
class Search:
    """The query, its terms, what the bot would do and the results, best first."""

    query: str
    terms: tuple[str, ...]
    decision: str
    confidence: float
    results: list[Result]


def audience_of(ctx: City, user: SignedIn) -> Audience:
    """Staff for the roles the city lets see staff-only entries; a resident's view for everyone else."""
    return Audience.STAFF if user.role in ctx.settings.desk_staff_roles else Audience.RESIDENT


def search(ctx: City, text: str, audience: Audience) -> Search:
    """Rank as the bot does, on the index version the ranking was made on."""
    if not text.strip():
        return Search("", (), "", 0.0, [])
    bot = ctx.bot
    ranking = bot.rank(text, audience)
    decision = bot.decide(ranking, CHANNEL).value
    shown = bot.candidates(ranking, SHOWN)
    positions = [int(p) for p in ranking.retrieval.candidates[ranking.order[:SHOWN]]]
    terms = ranking.retrieval.query.terms
    found = matched_terms(ranking.snapshot.runtime.index, terms, positions)
    results = [Result(c.record, c.score, found[p]) for c, p in zip(shown, positions, strict=True)
               if c.record.audience.visible_to(audience)]
    confidence = ranking.top3 if decision == "clarify" else ranking.top1
    return Search(text, tuple(terms), decision, confidence, results)


def departments(ctx: City, audience: Audience) -> list[Department]:
    """The directory 「担当課へ転送」 offers, from the live index."""
    return directory(ctx.index.records, audience)


@router.get("/search")
def search_page(request: Request, q: str = Text, user: SignedIn = Agent) -> Response:
    """The search page: the box (focused on arrival), the results, and the call-logging forms."""
    ctx = city(request)
    audience = audience_of(ctx, user)
    done = request.query_params.get("done", "")
    escalation = request.query_params.get("escalation", "")
    return page(request, "search.html", found=search(ctx, q, audience),
                departments=departments(ctx, audience), decisions=WOULD_DECIDE_LABELS,
                done=done if done in DONE_LABELS else "", done_labels=DONE_LABELS,
                escalation=escalation if ESCALATION_ID.match(escalation) else "")


@router.get("/search/results")
def results_fragment(request: Request, q: str = Text, user: SignedIn = Agent) -> Response:
    """Only the results, for the page's results-as-you-type (the same markup the page itself renders)."""
    ctx = city(request)
    audience = audience_of(ctx, user)
    return page(request, "_search_results.html", found=search(ctx, q, audience),
                departments=departments(ctx, audience), decisions=WOULD_DECIDE_LABELS)
