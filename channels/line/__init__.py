"""LINE for residents: a signed webhook in, replies (and late pushes) out through line-bot-sdk v3."""

from channels.line.webhook import router

__all__ = ["router"]
