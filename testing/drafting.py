"""What an OpenAI-compatible server answers, for the tests that stand one in with the recording server."""

from __future__ import annotations

from typing import Any

COMPLETIONS = "/v1/chat/completions"


def completion(content: str) -> dict[str, Any]:
    """What an OpenAI-compatible server answers."""
    choice = {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "city-llm",
            "choices": [choice], "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
