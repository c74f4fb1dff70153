"""Which retrieved sources a draft may use: only those about what the resident asked.

The ranking always has a best five, even for a question no resident source answers (a resident asking
about 年休, a staff matter): then the five share only the asking words (何, 日, いつ) with the question,
and their text (備蓄, 図書館) must not be pre-filled into an agent's reply box. A source is about the
question when it mentions one of the question's subject terms (its content terms and synonym groups,
the asking words and counters aside) in its title, paraphrases or text.
"""

from __future__ import annotations

from indexer.normalise import TextNormaliser
from knowledge.records import Record

ASKING_TERMS = frozenset({
    "何", "なに", "なん", "いつ", "いくら", "どこ", "どれ", "どの", "どちら", "誰", "だれ", "幾つ", "いくつ",
    "日", "時", "時間", "分", "円", "年", "月", "週", "回", "冊", "歳", "件", "人", "枚", "個", "ない",
    "必要", "手続き", "ある", "有る", "出来る", "できる", "知る", "教える", "聞く", "分かる", "分る",
})


def subject_terms(normaliser: TextNormaliser, question: str) -> set[str]:
    """What the question is about: its search terms less the words every question uses to ask."""
    return {term for term in normaliser.run(question).search_terms if term not in ASKING_TERMS}


def record_terms(normaliser: TextNormaliser, record: Record) -> set[str]:
    """Every search term of a source's title, paraphrases and text."""
    text = "\n".join((record.question, *record.alt_questions, record.answer))
    return set(normaliser.run(text).search_terms)


def about_the_question(normaliser: TextNormaliser, question: str, records: list[Record]) -> list[Record]:
    """The records that mention a subject term of the question, in their order; none when it has none."""
    subject = subject_terms(normaliser, question)
    return [record for record in records if subject & record_terms(normaliser, record)]
