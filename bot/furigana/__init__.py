"""Furigana for residents who read little kanji: ruby for the widget, readings in parentheses for chat apps.

    from bot.furigana import furigana_for
    furigana_for(settings).ruby("転入届は14日以内に")  # '<ruby>転入届<rt>てんにゅうとどけ</rt></ruby>は…'
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from bot.furigana.markup import ruby_markup, with_readings
from bot.furigana.reader import Reader, Word, read_overrides
from knowledge.core.settings import Settings

__all__ = ["Furigana", "Word", "furigana_for"]


class Furigana:
    """Readings of a text, made only when asked (a resident switched furigana on)."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    def words(self, text: str) -> list[Word]:
        """The text's words with their readings."""
        return self.reader.words(text)

    def ruby(self, text: str) -> str:
        """Escaped HTML with `<ruby>` over each kanji word (line breaks kept as \\n)."""
        return ruby_markup(self.words(text))

    def parenthesised(self, text: str) -> str:
        """Plain text with （reading） after difficult words, for LINE and Slack."""
        return with_readings(self.words(text))


COMMON_READINGS = Path(__file__).with_name("common.tsv")  # 何時 なんじ, 収集日 しゅうしゅうび …


@lru_cache(maxsize=8)
def _furigana(readings_file: str) -> Furigana:
    city = read_overrides(Path(readings_file) if readings_file else None)
    return Furigana(Reader({**read_overrides(COMMON_READINGS), **city}))


def furigana_for(settings: Settings) -> Furigana:
    """One Furigana per readings file in this process (the Sudachi dictionary is loaded on first use)."""
    return _furigana(str(settings.furigana_readings_file or ""))
