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
  - the question asks when, how much or how many, and the top entry states no number or day.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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


def nouns(text: str, terms: Sequence[str]) -> list[str]:
    """The content nouns of a text written in Japanese (Sudachi's parse is cached: the normaliser has just
    read it); numbers, Latin words and function nouns (こと, 方法) say what is asked about no more than 何
    does."""
    content = set(terms)
    return list(dict.fromkeys(
        m.lemma for unit in shared_splitter("A").units(text) for m in unit.in_mode(True)
        if m.pos == "名詞" and m.lemma in content and JAPANESE.search(m.lemma)
        and not NUMERAL.fullmatch(m.lemma) and not ASKING.fullmatch(m.lemma)))


def absent_rare(terms: Sequence[str], pages: BM25Index, page: int, paraphrases: BM25Index,
                owners: np.ndarray) -> list[str]:
    """Rare nouns of the question that one entry does not mention: not on its page (question + answer, BM25
    document `page`) nor in any of its paraphrases (`owners`: the entry of each paraphrase document)."""
    absent = []
    for term in terms:
        column = pages.vocabulary.get(term)
        if column is None:
            continue
        start, end = pages.matrix.indptr[column], pages.matrix.indptr[column + 1]
        if end - start <= RARE_SHARE * pages.size and page not in pages.matrix.indices[start:end] \
                and not _in_paraphrase(term, paraphrases, owners, page):
            absent.append(term)
    return absent


def unsaid_in_synonyms(terms: Sequence[str], synonyms: Sequence[tuple[str, str]], pages: BM25Index, page: int,
                       paraphrases: BM25Index, owners: np.ndarray) -> list[str]:
    """The nouns the entry does not say in the city's synonyms either: 国保 is said by an entry that writes
    国民健康保険 (one synonym group), though no entry writes 国保."""
    said = {word for group, word in synonyms
            if _on_page(group, pages, page) or _in_paraphrase(group, paraphrases, owners, page)}
    return [term for term in terms if term not in said]


def absent_unknown(near: dict[str, list[tuple[str, float]] | None], pages: BM25Index, page: int,
                   paraphrases: BM25Index, owners: np.ndarray) -> list[str]:
    """Question nouns no entry uses (自転車, 太陽光) whose nearest city words (`near`, by embedding) are
    neither on the top entry's page nor in its paraphrases: the entry is about something else. A word the
    model has no vector for (ビジホ) is left to the models, as before."""
    return [term for term, words in near.items() if words is not None and not any(
        _on_page(word, pages, page) or _in_paraphrase(word, paraphrases, owners, page) for word, _ in words)]


def _on_page(term: str, pages: BM25Index, page: int) -> bool:
    column = pages.vocabulary.get(term)
    if column is None:
        return False
    return page in pages.matrix.indices[pages.matrix.indptr[column]:pages.matrix.indptr[column + 1]]


def _in_paraphrase(term: str, paraphrases: BM25Index, owners: np.ndarray, page: int) -> bool:
    column = paraphrases.vocabulary.get(term)
    if column is None:
        return False
    documents = (
        paraphrases.matrix.indices[paraphrases.matrix.indptr[column]:paraphrases.matrix.indptr[column + 1]])
    return bool((owners[documents] == page).any())


def discount(question: str, record: Record, names_what_entry_lacks: bool) -> float:
    """The factor (0–1] both confidences are multiplied by for this question and its top entry."""
    factor = ABSENT_FACTOR if names_what_entry_lacks else 1.0
    if ASKS_NUMBER.search(question) and not STATES_NUMBER.search(record.answer):
        factor *= NO_NUMBER_FACTOR
    return factor
