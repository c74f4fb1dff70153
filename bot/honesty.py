"""Honest confidence: discounts for what the learned confidence models cannot judge from a ranking.

The confidence models see how clear-cut a ranking is and how much of the question the top entry covers
(bot/features.py `absent_top1`), but a clear-cut ranking can still miss the point:
  - the question names something the city's entries rarely mention (猫, 日曜日, 扶養: at most 2% of
    entries) and the top entry does not mention it (the dog registration entry, the collection calendar, the
    child allowance for 児童扶養手当): the entry answers a neighbouring question, so the resident is offered
    choices or a person instead. A word the entry says through the city's synonyms (国保 for 国民健康保険)
    is not missing from it. Words no entry has at all are left to the models: they are mostly the
    resident's own words for what entries say (有休, ビジホ, ゴミ), and discounting them cost a third of the
    right answers on the sample city;
  - the question asks when, how much or how many, and the top entry states no number or day; or it asks for
    a deadline (何年以内, いつまで), a day of the month or week (毎月何日に) or how long something takes, and
    the entry states none of that kind (only a fee and a postcode, say).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from indexer.bm25 import BM25Index
from indexer.sudachi import shared_splitter
from knowledge.records import Record

ABSENT_FACTOR = 0.5
RARE_SHARE = 0.02  # a word at most this share of entries mention is what the question is about
NO_NUMBER_FACTOR = 0.6
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
NUMERAL = re.compile(r"[0-9一二三四五六七八九十百千万]+")
ASKING = re.compile(r"何.?")  # 何 (a numeral in 何日, 何回 to Sudachi), 何時: what is asked, not what about
ASKS_NUMBER = re.compile(r"いつ|何日|何時|何歳|何円|何冊|何回|何か月|何ヶ月|何年|いくら|どのくらい|"
                         r"どれくらい|期限|締め?切")
STATES_NUMBER = re.compile(r"[0-9０-９]|[一二三四五六七八九十百千万]+[円日月年歳回冊か]|"
                           r"毎[日週月年]|曜日|無料")


# nouns that set the scene of a resident's story rather than say what it is about: when (今年, 昨日), who
# (夫, 母) and how it was said (とこ for ところ, 様子)
SCENE_NOUNS = frozenset({
    "今年", "来年", "去年", "昨年", "今日", "明日", "昨日", "先日", "最近", "今度", "今回", "今月",
    "来月", "先月", "今週", "来週", "先週", "毎日", "毎年", "頃", "ころ", "前", "後", "間", "夫", "妻",
    "主人", "旦那", "嫁", "母", "父", "母親", "父親", "息子", "娘", "祖父", "祖母", "兄", "姉", "弟",
    "妹", "孫", "私", "自分", "僕", "俺", "うち", "実家", "とこ", "ところ", "様子", "急", "感じ", "件",
    "点", "内容", "関係", "状態", "予定", "都合", "気",
})


def nouns(text: str, terms: Sequence[str]) -> list[str]:
    """The content nouns of a text written in Japanese (Sudachi's parse is cached: the normaliser has just
    read it); numbers, Latin words and function nouns (こと, 方法) say what is asked about no more than 何
    does."""
    content = set(terms)
    return list(dict.fromkeys(
        m.lemma for unit in shared_splitter("A").units(text) for m in unit.in_mode(True)
        if m.pos == "名詞" and m.lemma in content and JAPANESE.search(m.lemma)
        and not NUMERAL.fullmatch(m.lemma) and not ASKING.fullmatch(m.lemma) and m.lemma not in SCENE_NOUNS))


@dataclass(frozen=True, slots=True)
class EntryText:
    """What one entry says: its page (question + answer, BM25 document `page` of `pages`) and its paraphrases
    (the `paraphrases` documents whose entry, in `owners`, is `page`)."""

    pages: BM25Index
    page: int
    paraphrases: BM25Index
    owners: np.ndarray

    def says(self, term: str) -> bool:
        """Whether the entry's page or one of its paraphrases holds the term."""
        if (_documents(self.pages, term) == self.page).any():
            return True
        return bool((self.owners[_documents(self.paraphrases, term)] == self.page).any())

    def is_rare(self, term: str) -> bool:
        """Whether the term is on the city's pages, and on at most `RARE_SHARE` of them."""
        pages = _documents(self.pages, term)
        return term in self.pages.vocabulary and len(pages) <= RARE_SHARE * self.pages.size


def _documents(index: BM25Index, term: str) -> np.ndarray:
    """The documents of `index` that hold the term."""
    column = index.vocabulary.get(term)
    if column is None:
        return np.zeros(0, dtype=np.int64)
    return index.matrix.indices[index.matrix.indptr[column]:index.matrix.indptr[column + 1]]


def absent_rare(terms: Sequence[str], entry: EntryText) -> list[str]:
    """Rare nouns of the question that the entry does not say."""
    return [term for term in terms if entry.is_rare(term) and not entry.says(term)]


def unsaid_in_synonyms(terms: Sequence[str], synonyms: Sequence[tuple[str, str]],
                       entry: EntryText) -> list[str]:
    """The nouns the entry does not say in the city's synonyms either: 国保 is said by an entry that writes
    国民健康保険 (one synonym group), though no entry writes 国保."""
    said = {word for group, word in synonyms if entry.says(group)}
    return [term for term in terms if term not in said]


SAME_THING = 0.8  # cosine above which a city word is taken for another way of saying the question's word


def absent_unknown(near: dict[str, list[tuple[str, float]] | None], entry: EntryText) -> list[str]:
    """Question nouns no entry uses (自転車, 太陽光) whose nearest city words (`near`, by embedding) the entry
    does not say either: it is about something else. A near word stands for the question's only when it is
    another way of writing it (転居 for 転入, sharing a character, or very close): 犬 is near 猫, but a town
    with no cat entry must not answer a cat question with the dog registration. A word the model has no
    vector for (ビジホ) is left to the models, as before."""
    return [term for term, words in near.items()
            if words is not None and not any(entry.says(word) and same_thing(term, word, cosine)
                                             for word, cosine in words)]


def same_thing(term: str, word: str, cosine: float) -> bool:
    """Whether a near city word is another way of writing the question's word, not a neighbour of its kind."""
    return cosine >= SAME_THING or bool(set(word) & set(term))


# what a question asks for, and how an answer states it: an entry with a fee and a postcode in it does not
# answer 「何年以内に」 or 「毎月何日に」
ASKED_KINDS = (
    (re.compile(r"何(?:日|年|か月|ヶ月|週間)以内|いつまで|(?:期限|締め?切り?)は(?:いつ|何|[?？]|$)"),
     re.compile(r"以内|まで|期限|締め?切|[0-9]+月[0-9]+日|[0-9]+(?:日|か月|ヶ月|年|週間)(?:前|後|以降)")),
    (re.compile(r"何日に|毎月何日|何曜日|何日ごろ|何日頃"),
     re.compile(r"[0-9]+日|曜日|毎月|月末|月初|上旬|中旬|下旬|末日")),
    (re.compile(r"何日(?:くらい|ぐらい|ほど|で|かか)|どのくらい(?:で|かか)|どれくらい(?:で|かか)|何分|何時間"),
     re.compile(r"[0-9]+(?:日|週間|か月|ヶ月|分|時間)|即日|その場|当日|翌日")),
)


def discount(question: str, record: Record, names_what_entry_lacks: bool) -> float:
    """The factor (0–1] both confidences are multiplied by for this question and its top entry."""
    factor = ABSENT_FACTOR if names_what_entry_lacks else 1.0
    if unstated_number(question, record.answer):
        factor *= NO_NUMBER_FACTOR
    return factor


def unstated_number(question: str, answer: str) -> bool:
    """The question asks a number, or a number of a kind (`ASKED_KINDS`), that the answer does not state."""
    if ASKS_NUMBER.search(question) and not STATES_NUMBER.search(answer):
        return True
    return any(asks.search(question) and not states.search(answer) for asks, states in ASKED_KINDS)
