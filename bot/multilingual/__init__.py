"""Questions in English, Chinese, Korean, Vietnamese and Portuguese: detection, search, answers in the
language."""

from bot.multilingual.detect import detect_language

__all__ = ["detect_language"]
