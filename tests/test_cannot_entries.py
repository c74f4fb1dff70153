"""An entry for residents who cannot do something (pay a tax, come in person) is not the answer to a question
that asks how to do it: 「税金はどこで払えますか」 got the entry for those who cannot pay at 0.96, as Sudachi
reads 払い方, 払える and 払えない alike. Through `madoguchi ask --batch` on the sample city."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from indexer.normalise import TextNormaliser
from indexer.polarity import asked_words, cannot_units, cannot_words
from tests.test_honest_confidence import ask_batch, outcome

pytestmark = pytest.mark.integration

CANNOT_PAY = {"R134", "R137", "R061", "R144"}  # tax, tax relief, national health insurance, long-term care


def test_asking_how_or_where_to_pay_is_not_answered_with_the_entry_for_those_who_cannot(
        cli: CliRunner, sample_index_dir: Path, tmp_path: Path) -> None:
    lines = ask_batch(cli, sample_index_dir, tmp_path, [
        "税金はどこで払えますか", "税金の払い方", "国保の保険料の払い方", "介護保険料の払い方を知りたい"])
    shown = [outcome(line) for line in lines]
    assert all(ids[0] not in CANNOT_PAY for ids, _, _ in shown), shown
    assert shown[2][0][0] == "R060" and shown[3][0][0] == "R143", shown


def test_a_resident_who_cannot_pay_still_gets_the_entry_for_them(cli: CliRunner, sample_index_dir: Path,
                                                                 tmp_path: Path) -> None:
    lines = ask_batch(cli, sample_index_dir, tmp_path, ["税金が払えない", "介護保険料が払えません"])
    tops = [outcome(line)[0][0] for line in lines]
    assert tops == ["R134", "R144"], tops


@pytest.mark.parametrize(("text", "cannot"), [
    ("税金 払えない", {"払う"}), ("税金を納期限までに納められそうにありません。", {"納める"}),
    ("申請できない", {"申請"}), ("介護保険料を払うのが難しいときは相談できますか。", {"払う"}),
    ("一人で避難するのが難しい", {"避難"}), ("平日に来られないときは", {"来る"}),
    ("税金の払い方", set()), ("コンビニで払えますか", set()), ("燃えないごみの出し方", set()),
    ("保険証が届かない", set()), ("税金を払わないとどうなりますか", set()),
    ("困っていることを誰に聞けばいいかわからない", set()), ("どこで払えばいいかわからない", set()),
    ("保険料が払えていない", {"払う"}), ("申請できていない", {"申請"})])
def test_what_an_entry_says_cannot_be_done(normaliser: TextNormaliser, text: str, cannot: set[str]) -> None:
    assert cannot_words(normaliser.morphs(text)) == cannot


def test_an_entry_that_asks_whether_something_cannot_be_done_does_not_say_it_cannot(
        normaliser: TextNormaliser) -> None:
    texts = ["税の証明書は本庁でないと発行できないの？", "特定健診は市外の病院で受けられないのか",
             "予防接種は受けられないのでしょうか？", "税金 払えない"]
    found = cannot_units(enumerate(texts), normaliser.morphs, lambda word: {word})
    assert found == [(3, frozenset({"払う"}))]


@pytest.mark.parametrize(("question", "asks_to_pay"), [
    ("税金を払いたい", True), ("国保の払い方", True), ("税金はどこで払えますか", True),
    ("税金が払えない", False), ("分割で払いたい", False), ("督促状が来て困っている", False),
    ("粗大ごみに出せる？", False), ("コンビニで払える？", False), ("家賃は大家さんに払われるの？", False),
    ("税金はコンビニで払えばいいですか", True)])
def test_what_a_question_asks_to_do(normaliser: TextNormaliser, question: str, asks_to_pay: bool) -> None:
    def keys(word: str) -> set[str]:
        return {word}
    terms = normaliser.run(question).terms
    asked = asked_words(question, normaliser.morphs(question), terms, keys)
    assert ("払う" in asked) is asks_to_pay, asked


@pytest.fixture(scope="module")
def normaliser() -> TextNormaliser:
    return TextNormaliser().warm_up()
