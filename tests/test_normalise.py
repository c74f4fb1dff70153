"""表記ゆれ, filler and synonyms: different ways of writing the same need give the same terms."""

from __future__ import annotations

import pytest

from indexer.normalise import TextNormaliser
from knowledge.core.settings import MUNICIPAL_SYNONYMS


@pytest.fixture(scope="module")
def normaliser() -> TextNormaliser:
    return TextNormaliser("A", [MUNICIPAL_SYNONYMS]).warm_up()


@pytest.mark.parametrize(("left", "right"), [
    ("引越しの手続き", "引っ越しの手続き"),
    ("ＪＲの定期", "JRの定期"),
    ("１０時から", "10時から"),
    ("ｿﾌｧを捨てたい", "ソファを捨てたい"),
    ("住民票の写しについて教えてください", "住民票の写し"),
    ("印鑑登録を知りたいのですが", "印鑑登録"),
])
def test_spelling_variants_give_the_same_terms(normaliser: TextNormaliser, left: str, right: str) -> None:
    assert normaliser.run(left).terms == normaliser.run(right).terms


@pytest.mark.parametrize(("resident_word", "city_word"), [
    ("引っ越し", "転居"), ("赤ちゃん", "乳児"), ("パスポート", "旅券"), ("はんこ", "印鑑"), ("有休", "年次有給休暇"),
])
def test_municipal_synonyms_share_a_group_term(normaliser: TextNormaliser, resident_word: str, city_word: str) -> None:
    resident = {group for group, _ in normaliser.run(resident_word).synonyms}
    city = {group for group, _ in normaliser.run(city_word).synonyms}
    assert resident & city


def test_negation_is_kept_so_burnable_and_unburnable_differ(normaliser: TextNormaliser) -> None:
    assert normaliser.run("燃えるごみ").terms != normaliser.run("燃えないごみ").terms


def test_function_words_and_polite_filler_are_removed(normaliser: TextNormaliser) -> None:
    assert normaliser.run("転入届について教えていただけますでしょうか").terms == ("転入", "届け")


def test_very_long_and_empty_text_do_not_break_the_tokenizer(normaliser: TextNormaliser) -> None:
    terms = normaliser.run("住民票" * 30_000).terms
    assert terms.count("住民") >= 29_990
    assert normaliser.run("   ").terms == ()


def test_sudachi_synonym_dictionary_can_be_configured_by_path() -> None:
    from testing.paths import SHARED

    path = SHARED / "data" / "external" / "sudachi-synonyms" / "synonyms.txt"
    if not path.exists():
        pytest.skip(f"Sudachi's synonym dictionary is not at {path}")
    normaliser = TextNormaliser("A", [path]).warm_up()
    left = {g for g, _ in normaliser.run("宛先").synonyms}
    assert left & {g for g, _ in normaliser.run("送付先").synonyms}


def test_normalisers_in_several_threads_share_sudachi_safely(normaliser: TextNormaliser) -> None:
    """A desk rebuild normalises in a background thread while residents' questions are answered."""
    import threading

    failures: list[str] = []

    def normalise_many(worker: int) -> None:
        try:
            for n in range(400):
                normaliser.run(f"粗大ごみの出し方{worker}-{n}。住民票の写しとマイナンバーカード")
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            failures.append(repr(exc))

    threads = [threading.Thread(target=normalise_many, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
