"""Where the knowledge base contradicts itself: two entries or passages on the same subject that state
different amounts, times, days, addresses, places, phone numbers or limits.

A resident gets whichever ranks first, so 「1回に5点まで」 in one entry and 「10点まで」 in a manual is
a wrong answer waiting to happen. Every sentence is read for values of a few kinds (numbers with their
counters, as the grounding check compares them; 9時 and 9:00 alike). Two sentences of different records
are on the same subject when most of their content terms agree (Sudachi normalised forms, synonym groups
counted); an address belongs to the place named just before it (北支所（北浜町2-10）), so two addresses of
one place are compared wherever they are written. A finding names both records, both sentences and the
values that differ. It is a lexical check: it flags for an editor to read, it decides nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from indexer.normalise import TextNormaliser, normalise_width
from knowledge.records import Record

SAME_SUBJECT = 0.5
# one day's hours are compared when the two sentences (with headings) share two subject terms
SHARED_FOR_HOURS = 2
VALUE_WORDS = frozenset({"円", "日", "点", "回", "時間", "時", "分", "月", "年", "週", "第", "以上", "以内",
                         "以下", "まで",
                         "受け付け", "平日", "月曜", "火曜", "水曜", "木曜", "金曜", "土曜", "日曜", "祝日",
                         "毎日", "市", "町", "別", "料", "代", "通", "枚", "人", "歳", "件"})
EXAMPLE = re.compile(r"^(?:例えば|たとえば|例:|例）)")
_SENTENCES = re.compile(r"[^。！？\n]+[。！？]?")
_CLOCK = re.compile(r"(\d{1,2})時(?:(\d{1,2})分|半)?")
KINDS: dict[str, re.Pattern[str]] = {
    "金額": re.compile(r"\d[\d,]*円"),
    "時刻": re.compile(r"\b\d{1,2}:\d{2}\b"),
    "曜日": re.compile(r"第\d(?:・第\d)*[月火水木金土日]曜日?|毎週[月火水木金土日]曜日?"),
    "上限": re.compile(r"\d+(?:点|個|枚|袋|束|冊|台|回|人)まで"),
    "期限": re.compile(r"\d+(?:日|か月|週間|年)以内"),
    "電話番号": re.compile(r"\b0\d{1,4}-\d{1,4}-\d{3,4}\b"),
    "場所": re.compile(r"本庁舎(?:\d+階|[東西南北]側[^、。の（(]{0,8})"),
}
_ADDRESS = re.compile(r"([一-龥ァ-ヶー々]{2,16})[（(]([^（()）、]*?\d{1,4}(?:-\d{1,4}){1,2})[）)]")
_HOURS = re.compile(r"(第\d(?:・第\d)*[月火水木金土日]曜日|平日|[月火水木金土日]曜日から[月火水木金土日]曜日|"
                    r"[土日]曜日)の?\s?(\d{1,2}:\d{2})\s?(?:~|から)\s?(\d{1,2}:\d{2})")
_PLACE_LIST = re.compile(r"[・、と]")


def as_clock(text: str) -> str:
    """9時 → 9:00, 8時30分 → 8:30, 12時半 → 12:30: one way of writing a time."""
    def clock(match: re.Match[str]) -> str:
        minutes = "30" if match.group(0).endswith("半") else (match.group(2) or "00")
        return f"{match.group(1)}:{int(minutes):02d}"
    return _CLOCK.sub(clock, text)


def values_in(sentence: str) -> dict[str, frozenset[str]]:
    """The values of each kind a sentence states (kinds it states none of are absent)."""
    text = as_clock(normalise_width(sentence)).replace("〜", "~")
    found = {kind: frozenset(m.group(0).replace(",", "") for m in pattern.finditer(text))
             for kind, pattern in KINDS.items()}
    return {kind: values for kind, values in found.items() if values}


def hours_in(sentence: str) -> dict[str, str]:
    """Day → opening hours, for 「第2・第4土曜日の9:00〜12:00」 and 「第2・第4土曜日 9時から12時」 alike."""
    text = as_clock(normalise_width(sentence)).replace("〜", "~")
    return {day: f"{start}~{end}" for day, start, end in _HOURS.findall(text)}


def addresses_in(sentence: str) -> dict[str, str]:
    """Place name → address, for 「北支所（みなと市北浜町2-10）」; the name is the last of a list
    (北支所・南支所)."""
    text = normalise_width(sentence).replace("－", "-").replace("−", "-")
    return {_PLACE_LIST.split(name)[-1]: address for name, address in _ADDRESS.findall(text)}


@dataclass(frozen=True, slots=True)
class Statement:
    """One sentence of one record, with what it is about and the values it states."""

    record: Record
    sentence: str
    terms: frozenset[str]
    titled: frozenset[str]
    values: dict[str, frozenset[str]]
    addresses: dict[str, str]
    hours: dict[str, str]


@dataclass(frozen=True, slots=True)
class Contradiction:
    """Two statements about one subject that disagree on `kind`: `first_values` against `second_values`."""

    kind: str
    first: Statement
    second: Statement
    first_values: tuple[str, ...]
    second_values: tuple[str, ...]


def overlap(first: frozenset[str], second: frozenset[str]) -> float:
    """Jaccard similarity of two sentences' content terms."""
    return len(first & second) / len(first | second) if first and second else 0.0


class ContradictionFinder:
    """Cheap to construct; pass the index's normaliser. `run(records)` compares every pair of records."""

    def __init__(self, normaliser: TextNormaliser, same_subject: float = SAME_SUBJECT) -> None:
        self.normaliser, self.same_subject = normaliser, same_subject

    def statements(self, record: Record) -> list[Statement]:
        """The sentences of a record's answer (an entry's text, a passage) that state a value."""
        found, heading = [], record.section_path[-1] if record.section_path else record.question
        for sentence in (m.group(0).strip() for m in _SENTENCES.finditer(record.answer)):
            if EXAMPLE.match(sentence):
                continue  # a worked example (「例えば…1泊2日では4,400円」) states no rule of its own
            values, addresses, hours = values_in(sentence), addresses_in(sentence), hours_in(sentence)
            if values or addresses or hours:
                found.append(Statement(record, sentence, self.terms(sentence),
                                       self.terms(f"{heading}\n{sentence}"), values, addresses, hours))
        return found

    def terms(self, text: str) -> frozenset[str]:
        """Content terms and synonym groups, numbers aside (they are the values, not the subject)."""
        return frozenset(t for t in self.normaliser.run(text).search_terms
                         if not t[:1].isdigit() and t not in VALUE_WORDS and not t.startswith("≡"))

    def run(self, records: Iterable[Record]) -> list[Contradiction]:
        """Every disagreement between statements of two different records, in a stable order."""
        statements = [s for record in records for s in self.statements(record)]
        findings: dict[tuple[str, str, str, str, str], Contradiction] = {}
        for first, second in combinations(statements, 2):
            if first.record.id != second.record.id:
                for finding in self.compare(first, second):
                    findings.setdefault(key_of(finding), finding)
        return sorted(findings.values(), key=key_of)

    def compare(self, first: Statement, second: Statement) -> list[Contradiction]:
        """What two statements disagree on: an address of one place, or values of one kind on one subject."""
        found = keyed("住所", first, second, first.addresses, second.addresses)
        titled = overlap(first.titled, second.titled)
        if len(first.titled & second.titled) >= SHARED_FOR_HOURS:
            found += keyed("曜日の時間", first, second, first.hours, second.hours)
        if overlap(first.terms, second.terms) < self.same_subject or titled < self.same_subject / 2:
            return found
        return found + [Contradiction(kind, first, second, tuple(sorted(values)),
                                      tuple(sorted(second.values[kind])))
                        for kind, values in first.values.items()
                        if kind in second.values and disagree(values, second.values[kind])]


def disagree(first: frozenset[str], second: frozenset[str]) -> bool:
    """Neither states a subset of the other's values (one sentence listing more cases is no contradiction)."""
    return not first <= second and not second <= first


def keyed(kind: str, first: Statement, second: Statement, mine: dict[str, str],
          theirs: dict[str, str]) -> list[Contradiction]:
    """Values given for the same key (a place's address, a day's hours) that differ."""
    return [Contradiction(kind, first, second, (f"{key} {value}",), (f"{key} {theirs[key]}",))
            for key, value in mine.items() if key in theirs and theirs[key] != value]


def key_of(finding: Contradiction) -> tuple[str, str, str, str, str]:
    """Sort and de-duplicate by the two records, the kind and the values."""
    return (finding.first.record.id, finding.second.record.id, finding.kind, "・".join(finding.first_values),
            "・".join(finding.second_values))
