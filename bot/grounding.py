"""Is a generated sentence supported by the text it cites? A lexical check, so it needs no model.

Generated text is only ever a draft for an agent or an optional answer built from a manual passage, and
either must say nothing its sources do not. A sentence passes when

- it does not read like an instruction to a model (「以前の指示を無視して…」): injected text is not an answer;
- every URL or e-mail address in it is a cited source's own page or contact, never one found in free text
  (a document that says 「次のURLに送信」 must not be able to add an address to a reply);
- every number in it (amounts, dates, days, phone numbers), with its counter (14日, 1,000円, 第2), appears
  verbatim in the cited text;
- at least `threshold` of its content terms (Sudachi normalised forms, synonym groups counted; addresses
  and 「詳しくは…ご覧ください」-style courtesy words aside) occur within two consecutive sentences of the
  cited text, so terms scattered over a long passage do not add up to support;
- a negative claim (ない, 不要, 不可) rests on a negative sentence of the source that shares its terms, so
  「代理人による届出はできません」 cannot pass on a source that says 「代理人が届け出ることができます」.

It cannot see every meaning flipped with the same words (「必要です」 for 「不要です」 when the source says
both about different cases); that is why a draft goes to a person and a grounded answer is off by default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.normalise import TextNormaliser, normalise_width

SUPPORT_THRESHOLD = 0.75
WINDOW = 2
NEGATIVE = frozenset({"ない", "不要", "不可"})
COURTESY = frozenset({"詳しい", "御覧", "問い合わせ", "願う", "連絡", "下記", "以下"})
_SENTENCE_END = re.compile(r"[。！？!?\n]+")
_NUMBER = re.compile(r"第?\d+(?:[,.:\-]\d+)*[日円歳階時分秒月年件人回枚週号条項点部冊台本個倍割度%万"
                     r"千億かヶカケ箇名通]?")
_ADDRESS = re.compile(r"https?://[^\s\[\]<>「」（）()、。]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_INSTRUCTION = re.compile(
    r"指示(?:を|は)?無視|(?:以前|これまで|上記|前)の指示|システムプロンプト|プロンプト"
    r"|ignore (?:all |any |the )?(?:previous|prior|above|earlier)|disregard (?:all|any|the|previous)"
    r"|system prompt|you are now", re.I)


def numbers_in(text: str) -> set[str]:
    """Numbers with their counter (第2, 14日, 1000円, 8:30, 0123-45-1101), so 14日 is not supported by
    17:15."""
    return {match.replace(",", "") for match in _NUMBER.findall(normalise_width(text))}


def addresses_in(text: str) -> set[str]:
    """URLs and e-mail addresses, trailing punctuation trimmed."""
    return {match.rstrip(".,;:!?") for match in _ADDRESS.findall(normalise_width(text))}


def reads_like_instruction(text: str) -> bool:
    """Text addressed to a model rather than to a resident."""
    return bool(_INSTRUCTION.search(normalise_width(text)))


@dataclass(frozen=True, slots=True)
class Cited:
    """What a sentence may rest on: the cited sources' text, and their own pages and contacts."""

    text: str
    addresses: frozenset[str]


@dataclass(frozen=True, slots=True)
class Support:
    """The verdict on one sentence; `reason` says why it was rejected."""

    supported: bool
    coverage: float
    reason: str = ""


class SupportCheck:
    """Cheap to construct; shares the index's warmed-up normaliser."""

    def __init__(self, normaliser: TextNormaliser, threshold: float = SUPPORT_THRESHOLD) -> None:
        self.normaliser, self.threshold = normaliser, threshold

    def claim_terms(self, plain: str) -> set[str]:
        """The content terms a sentence asserts, courtesy words left out."""
        return set(self.normaliser.run(plain).terms) - COURTESY

    def coverage(self, plain: str, source: str) -> float:
        """The best coverage by WINDOW consecutive source sentences: a claim's terms must stand together."""
        parts = [part for part in _SENTENCE_END.split(source) if part.strip()]
        spans = ["。".join(parts[i:i + WINDOW]) for i in range(max(1, len(parts) - WINDOW + 1))]
        return max(self.coverage_in(plain, span) for span in spans)

    def coverage_in(self, plain: str, source: str) -> float:
        """Share of the sentence's distinct content terms found in the source (directly or by synonym
        group)."""
        terms, cited = self.claim_terms(plain), self.normaliser.run(source)
        if not terms:
            return 0.0
        found = terms & set(cited.terms)
        cited_groups = {group for group, _ in cited.synonyms}
        for group, phrase in self.normaliser.run(plain).synonyms:
            if group in cited_groups:
                found |= {term for term in terms if term in phrase}
        return len(found) / len(terms)

    def negation_holds(self, plain: str, source: str) -> bool:
        """A negative claim needs a negative source sentence carrying most of the claim's other terms."""
        terms = self.claim_terms(plain)
        if not terms & NEGATIVE:
            return True
        claim = terms - NEGATIVE
        for part in _SENTENCE_END.split(source):
            said = set(self.normaliser.run(part).terms)
            if said & NEGATIVE and len(claim & said) >= self.threshold * len(claim):
                return True
        return False

    def run(self, sentence: str, cited: Cited) -> Support:
        """Check one sentence against the text of the sources it cites."""
        if reads_like_instruction(sentence):
            return Support(False, 0.0, "reads like an instruction to a model, not an answer")
        strange = sorted(addresses_in(sentence) - cited.addresses)
        if strange:
            return Support(False, 0.0, f"address not a cited source's page or contact: {strange[0]}")
        plain = _ADDRESS.sub(" ", normalise_width(sentence))
        missing = sorted(numbers_in(plain) - numbers_in(cited.text))
        if missing:
            return Support(False, 0.0, f"number not in the cited source: {missing[0]}")
        if addresses_in(sentence) and not self.claim_terms(plain):
            return Support(True, 1.0)  # 「詳しくは（出典のページ）をご覧ください」
        coverage = self.coverage(plain, cited.text)
        if coverage < self.threshold:
            return Support(False, coverage, f"only {coverage:.0%} of its words are in the cited source")
        if not self.negation_holds(plain, cited.text):
            return Support(False, coverage, "negative claim not stated by the cited source")
        return Support(True, coverage)
