"""Answers as Block Kit: the answer with source and department, choices and 👍/👎 as buttons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot import Answer, Decision

Block = dict[str, Any]


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _button(text: str, action_id: str, value: str) -> Block:
    return {"type": "button", "text": {"type": "plain_text", "text": text[:75], "emoji": True},
            "action_id": action_id, "value": value[:2000]}


def to_blocks(reply: Answer, turn_id: int, say: Callable[[str], str] = str) -> list[Block]:
    """Blocks for one reply; `say` writes the texts (with readings in parentheses when furigana was asked)."""
    if reply.decision is Decision.ANSWER and reply.record is not None:
        record = reply.record
        source = f"<{record.url}|{record.question[:60]}>" if record.url else record.question[:60]
        context = {"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"{record.department}・{record.contact}・{source}"}]}
        votes = {"type": "actions", "elements": [_button("👍 解決した", "feedback_up", str(turn_id)),
                                                 _button("👎 解決しない", "feedback_down", str(turn_id))]}
        # the line to call before the entry
        first = [_section(say(reply.urgent.text))] if reply.urgent else []
        return [*first, _section(say(record.answer)), context, votes]
    if reply.decision is Decision.CLARIFY:
        buttons = [_button(c.label, f"choice_{n}", c.id) for n, c in enumerate(reply.choices)]
        return [_section(say(reply.message.splitlines()[0])), {"type": "actions", "elements": buttons}]
    return [_section(say(reply.message))]
