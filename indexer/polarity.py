"""An entry's question or paraphrase that says its reader cannot do something (税金 払えない, 納められそうに
ありません, 払うのが難しい) and a question that asks how to do that very thing (払い方, 払いたい).

Sudachi reads 払い方, 払える and 払えない alike as 払う, and ない is one search word among the others: the
entry for residents who cannot pay their tax matched 「税金の払い方」 and 「介護保険料の払い方を知りたい」
better than the entries on how to pay, and was answered at 0.96. Search (`indexer.search.Retriever`) scores
such a unit lower for a question that asks to do what the unit says cannot be done (the same word or one of
the city's synonyms for it: 払う, 納める, 納付), unless the question speaks of a difficulty itself
(払えない, 滞納, 分割, 困っている) or asks whether it can be done at all (「粗大ごみに出せる？」, answered by
出せないもの).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from indexer.normalise import NEGATIONS, normalise_width
from indexer.sudachi import Morph

DEMOTED = 0.5  # such a unit's scores for such a question
# 申請できない, 納められない: the word before the helper says what cannot be done
HELPERS = frozenset({"出来る", "できる", "られる", "れる"})
AUXILIARY = frozenset({"られる", "れる"})  # 納められる (can), 払われる (is paid)
HARD = frozenset({"難しい", "困難"})  # 払うのが難しい
LIGHT = frozenset({"する", "為る", "の", "こと", "事"})  # 避難するのが難しい: 避難 is what is hard
TROUBLE = HARD | NEGATIONS | frozenset({
    "厳しい", "無理", "大変", "困る", "苦しい", "滞納", "延滞", "督促", "分割", "分納", "減免", "猶予",
    "待つ", "遅れる", "忘れる", "過ぎる", "足りる", "失業", "差し押さえる", "差し押さえ", "差押え", "差押",
})
# godan endings and the e-row kana of their potential forms: 払う → 払える, 書く → 書ける, 帰る → 帰れる
POTENTIAL = dict(zip("うくぐすつぬぶむる", "えけげせてねべめれ", strict=True))
BEING = frozenset({"有る", "ある", "在る", "居る", "いる"})  # 〜そうにありません, 払えていない
REACH = 5  # morphemes after the verb in which its negation may come (納め|られ|そう|に|あり|ませ|ん)
# 「本庁でないと発行できないの？」 asks whether it can be done, as 「受けられないのでしょうか」 does
WHETHER_NOT = re.compile(r"(?:ない|ません)(?:の|ん)?(?:です|でしょう)?(?:か|[？?])")
# a question with one of these asks where, how or when it can be done, not whether
WHERE_OR_HOW = re.compile(r"どこ|何処|どう|いつ|何時|どちら|方法|場所|窓口|何で|なにで")

Keys = Callable[[str], set[str]]  # a word and the city's synonym groups it belongs to


def cannot_words(morphs: Sequence[Morph]) -> set[str]:
    """The words a text says cannot be done: 払う of 払えない, 納める of 納められない and of 納めるのが難しい,
    申請 of 申請できない. Empty for 払い方, 燃えないごみ (not an ability), 届かない."""
    found: set[str] = set()
    for place, morph in enumerate(morphs):
        if morph.lemma in HARD:
            found.update(_doing(morphs[:place]))
        elif _able(morph) and _negated(morphs[place + 1: place + 1 + REACH]):
            found.update([morph.lemma] if morph.lemma not in HELPERS else _doing(morphs[:place]))
    return found


def asked_words(text: str, morphs: Sequence[Morph], terms: Sequence[str], keys: Keys) -> set[str]:
    """What a question asks to do, with the synonym groups of each word; empty when it speaks of a
    difficulty (then every entry meets it as before). A verb asked about in its potential form
    (「出せる？」, 「納められる？」) counts only with where, how or when; one in the passive
    (「大家さんに払われるの？」) is not the resident's to do."""
    if any(term in TROUBLE for term in terms):
        return set()
    whether = set() if WHERE_OR_HOW.search(text) else {
        m.lemma for m in morphs if _potential(m) and f"{m.surface}ば" not in text}  # 払えば: if one pays
    whether.update(m.lemma for m, after in zip(morphs, morphs[1:], strict=False)
                   if m.pos == "動詞" and after.lemma in AUXILIARY)
    return {key for term in terms if term not in whether for key in keys(term)}


def _doing(before: Sequence[Morph]) -> list[str]:
    """The last word before a helper or 難しい that says what is done (する and の skipped)."""
    for morph in reversed(before):
        if morph.lemma not in LIGHT and morph.pos in ("動詞", "名詞"):
            return [morph.lemma]
        if morph.lemma not in LIGHT:
            return []
    return []


def _able(morph: Morph) -> bool:
    return morph.lemma in HELPERS or _potential(morph)


def _potential(morph: Morph) -> bool:
    stem, ending = morph.lemma[:-1], morph.lemma[-1:]
    return (morph.pos == "動詞" and ending in POTENTIAL and len(morph.surface) > len(stem)
            and morph.surface.startswith(stem) and morph.surface[len(stem)] == POTENTIAL[ending])


def _negated(after: Sequence[Morph]) -> bool:
    """A negation before the next noun, adjective or verb (but ある of 〜そうにありません): in
    「聞けばいいかわからない」 the negation is わかる's."""
    for morph in after:
        if morph.lemma in NEGATIONS:
            return True
        if morph.pos in ("名詞", "形容詞") or (morph.pos == "動詞" and morph.lemma not in BEING):
            return False
    return False


def cannot_units(texts: Iterable[tuple[int, str]], morphs: Callable[[str], Sequence[Morph]],
                 keys: Keys) -> list[tuple[int, frozenset[str]]]:
    """(unit, the words it says cannot be done with their synonym groups) of each unit that says so."""
    found = []
    for unit, text in texts:
        # every "cannot" has one of these; one asked as a question is not said
        if any(mark in text for mark in "なぬずん難困無") and not WHETHER_NOT.search(normalise_width(text)):
            words = cannot_words(morphs(text))
            if words:
                found.append((unit, frozenset(key for word in words for key in keys(word))))
    return found
