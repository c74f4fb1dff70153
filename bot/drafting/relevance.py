"""Which retrieved sources a draft may use: only those about what the resident asked.

The ranking always has a best five, even for a question no resident source answers (a resident asking
about 年休, a staff matter): then the five share only the asking words (何, 日, いつ) with the question,
and their text (備蓄, 図書館) must not be pre-filled into an agent's reply box. A source is about the
question when it mentions one of the question's subject terms (its content terms and synonym groups,
the asking words and counters aside) in its title, paraphrases or text.
"""

from __future__ import annotations

from indexer.normalise import TextNormaliser, normalise_width
from indexer.sudachi import shared_splitter
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
    text = "\n".join((record.question, *record.paraphrases, record.answer))
    return set(normaliser.run(text).search_terms)


def about_the_question(normaliser: TextNormaliser, question: str, records: list[Record]) -> list[Record]:
    """The records that mention a subject term of the question, in their order; none when it has none."""
    subject = subject_terms(normaliser, question)
    return [record for record in records if subject & record_terms(normaliser, record)]


def subject_nouns(normaliser: TextNormaliser, text: str) -> set[str]:
    """The things a text names (its nouns and their synonym groups, the asking words aside): 粗大 and ごみ
    in 「粗大ごみってどうやって出すの」, not 出す, which every 出し方 entry shares."""
    fine = normaliser.warm_up().split_mode != "C"
    units = shared_splitter(normaliser.split_mode).units(normalise_width(text))
    morphs = [m for unit in units for m in unit.in_mode(fine)]
    nouns = [m.lemma for m in morphs if m.pos == "名詞" and m.lemma not in ASKING_TERMS]
    return set(nouns) | {group for group, _ in normaliser.synonyms.expand(nouns)}


def names_the_entry(normaliser: TextNormaliser, question: str, record: Record) -> bool:
    """Whether a question could be a paraphrase of an entry: it names something the entry's question or
    paraphrases name. The bot may offer びん・缶 for a 粗大ごみ question (both say どうやって出す); an editor
    must not be told to add it there."""
    wordings = "\n".join((record.question, *record.paraphrases))
    return bool(subject_nouns(normaliser, question) & subject_nouns(normaliser, wordings))
