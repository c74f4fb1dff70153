"""Generation that a person checks: drafts for call-center agents, and optional grounded passage answers.

The desk, once per process and then per escalation an agent opens:

    drafter = Drafter.from_settings(settings, bot.runtime.normaliser)
    draft = draft_for_escalation(bot, drafter, question, Audience(escalation.audience))
    draft.to_json()   # sentences with citations, numbered sources, method (model/fallback) and reason
"""

from bot.drafting.draft import Draft, DraftMethod, DraftReason, DraftSentence, DraftSource, DroppedSentence
from bot.drafting.drafter import Drafter, chat_model_from_settings, draft_for_escalation, sources_for
from bot.drafting.grounded import GroundedComposer

__all__ = ["Draft", "DraftMethod", "DraftReason", "DraftSentence", "DraftSource", "Drafter",
           "DroppedSentence",
           "GroundedComposer", "chat_model_from_settings", "draft_for_escalation", "sources_for"]
