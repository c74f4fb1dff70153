"""Urgent situations: recognised before any search, answered with the public line to call first.

A resident who writes 「子どもが熱を出した。夜間にやってる病院は？」 or 「死にたい」 must read #8000 or a
counselling line before anything else, not three FAQ choices and the call centre's weekday hours. The
situations, their phrasings and their numbers are data: a national default ships beside this module
(bot/urgent_national.yaml), and a city adds or rewrites situations in its own `urgent.yaml` (at the top of
one of its FAQ folders, or MADOGUCHI_URGENT_FILE). Matching is plain word presence, so staff can read and
extend it: a phrasing is words separated by spaces, all of which must occur; `|` separates alternatives.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from indexer.normalise import hiragana, normalise_width
from knowledge.core.errors import ConfigurationError
from knowledge.core.settings import Settings
from knowledge.languages import JAPANESE, LANGUAGES

NATIONAL_FILE = Path(__file__).with_name("urgent_national.yaml")
CITY_FILE_NAME = "urgent.yaml"
FIELDS = ("title", "say", "lines", "when", "unless", "then_faq", "translations")


def fold(text: str) -> str:
    """Width, case and kana folded, spaces dropped: 「キュウキュウシャ」「きゅうきゅう しゃ」 compare
    equal."""
    wide = normalise_width(text).replace(" ", "")
    return hiragana(wide)


@dataclass(frozen=True, slots=True)
class Phrasing:
    """Groups of alternatives; the phrasing fits a text that contains one alternative of every group."""

    groups: tuple[tuple[str, ...], ...]

    @classmethod
    def parse(cls, line: str) -> Phrasing:
        groups = (group.split("|") for group in str(line).split())
        return cls(tuple(tuple(fold(word) for word in group if word) for group in groups))

    def fits(self, folded: str) -> bool:
        return bool(self.groups) and all(any(word in folded for word in group) for group in self.groups)

    @property
    def gate(self) -> tuple[str, ...]:
        """One group a fitting text must hold a word of: the one whose shortest word is longest, so that
        particles such as が rarely open it."""
        return max(self.groups, key=lambda group: min(map(len, group), default=0), default=())


@dataclass(frozen=True, slots=True)
class Situation:
    """One urgent situation: what to say, the lines to call (name and number), and when it applies."""

    id: str
    title: str
    say: str
    lines: tuple[str, ...]
    when: tuple[Phrasing, ...]
    unless: tuple[Phrasing, ...] = ()
    then_faq: bool = True  # false: no entry follows the notice, however well it matches (死にたい → 死亡届)
    translations: tuple[tuple[str, str, str], ...] = ()  # (language, title, say) for questions in another
    language: str = JAPANESE  # the language title and say are in

    def in_language(self, language: str) -> Situation:
        """The notice in the question's language where the file gives one (the lines stay as written: the
        numbers are what must be read); Japanese otherwise."""
        found = next(((title, say) for code, title, say in self.translations if code == language), None)
        return self if found is None else replace(self, title=found[0], say=found[1], language=language)

    def fits(self, folded: str) -> bool:
        return any(p.fits(folded) for p in self.when) and not any(p.fits(folded) for p in self.unless)

    @property
    def text(self) -> str:
        """The notice a resident reads first: the advice, then one line per number."""
        advice = "".join(line.strip() for line in self.say.splitlines())  # Japanese wrapped in the file
        return "\n".join([f"【{self.title}】{advice}", *(f"・{line}" for line in self.lines)])


def _situation(raw: dict[str, Any], where: str) -> Situation:
    """A situation from its YAML mapping; a missing field is named with the file it should be in."""
    missing = [name for name in ("id", *FIELDS[:4]) if not raw.get(name)]
    if missing:
        name = raw.get("id", "?")
        raise ConfigurationError(f"{where}: urgent situation {name!r} lacks {', '.join(missing)}")
    return Situation(str(raw["id"]), str(raw["title"]), str(raw["say"]), tuple(map(str, raw["lines"])),
                     tuple(map(Phrasing.parse, raw["when"])),
                     tuple(map(Phrasing.parse, raw.get("unless") or ())),
                     raw.get("then_faq", True) is not False, _translations(raw.get("translations"), where))


def _translations(raw: object, where: str) -> tuple[tuple[str, str, str], ...]:
    """`translations: {en: {title, say}, …}`; a language madoguchi does not answer in, or a notice without
    its title or advice, is named with its file."""
    if not raw:
        return ()
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{where}: `translations` must map a language code to its title and say")
    found = []
    for code, notice in raw.items():
        if code not in LANGUAGES or not isinstance(notice, dict) or not notice.get("title") \
                or not notice.get("say"):
            raise ConfigurationError(f"{where}: translation {code!r} needs a language of "
                                     f"{', '.join(LANGUAGES)} and both `title` and `say`")
        found.append((str(code), str(notice["title"]), str(notice["say"])))
    return tuple(found)


def _read(path: Path) -> list[dict[str, Any]]:
    """The `situations` list of one file, or a ConfigurationError that names the file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"urgent situations file {path} cannot be read: {exc}") from exc
    items = data.get("situations") if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) and i.get("id") for i in items):
        raise ConfigurationError(f"{path}: expected `situations:` as a list of mappings, each with an `id`")
    return items


def merge(files: Iterable[Path]) -> list[Situation]:
    """National order first; a city's entry rewrites the fields it gives, `disabled: true` removes one,
    new ids follow."""
    merged: dict[str, dict[str, Any]] = {}
    where: dict[str, str] = {}
    for path in files:
        for item in _read(path):
            key = str(item["id"])
            merged[key] = {**merged.get(key, {}), **item}
            where[key] = str(path)
    return [_situation(raw, where[key]) for key, raw in merged.items() if not raw.get("disabled")]


def city_files(settings: Settings, built_from: Sequence[str] = ()) -> list[Path]:
    """The national default, every `urgent.yaml` at the top of one of the city's source folders (those the
    served index was built from unless MADOGUCHI_SOURCES names them: never the sample city's numbers for
    another city), then MADOGUCHI_URGENT_FILE."""
    found = [folder / CITY_FILE_NAME for folder in settings.city_sources(built_from)
             if (folder / CITY_FILE_NAME).is_file()]
    return [NATIONAL_FILE, *found, *([settings.urgent_file] if settings.urgent_file else [])]


class UrgentSituations:
    """Recognises the first situation that fits a message (the files list the gravest first)."""

    def __init__(self, situations: list[Situation]) -> None:
        self.situations = situations
        self._gate = _any_of(word for s in situations for p in s.when for word in p.gate)

    @classmethod
    def from_settings(cls, settings: Settings, built_from: Sequence[str] = ()) -> UrgentSituations:
        return cls(merge(city_files(settings, built_from)))

    def run(self, text: str) -> Situation | None:
        """Nearly every message holds no word of any phrasing's gate: one search tells, before the loop
        over every phrasing."""
        folded = fold(text)
        if self._gate is None or not self._gate.search(folded):
            return None
        return next((s for s in self.situations if s.fits(folded)), None)


def _any_of(words: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern that finds any of the words (None when there are none: nothing can fit)."""
    unique = sorted(set(words), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, unique))) if unique else None
