"""表記ゆれ, filler and synonyms: different ways of writing the same need give the same terms."""

from __future__ import annotations

import json
from pathlib import Path

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
    ("引っ越し", "転居"), ("赤ちゃん", "乳児"), ("パスポート", "旅券"), ("はんこ", "印鑑"),
    ("有休", "年次有給休暇"),
])
def test_municipal_synonyms_share_a_group_term(normaliser: TextNormaliser, resident_word: str,
                                               city_word: str) -> None:
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


def tables_equal(left: TextNormaliser, right: TextNormaliser) -> bool:
    a, b = left.synonyms, right.synonyms
    return (dict(a.groups), dict(a.starts), dict(a.members), a.fingerprint) == \
        (dict(b.groups), dict(b.starts), dict(b.members), b.fingerprint)


def test_a_second_process_reads_the_synonym_terms_the_first_kept_without_sudachi(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Turning every headword into terms touches most of Sudachi's connection matrix; a worker need not."""
    first = TextNormaliser("A", [MUNICIPAL_SYNONYMS], tmp_path).warm_up()
    with monkeypatch.context() as patched:
        patched.setattr(TextNormaliser, "content_terms", refuse_to_parse)
        second = TextNormaliser("A", [MUNICIPAL_SYNONYMS], tmp_path).warm_up()
    assert tables_equal(first, TextNormaliser("A", [MUNICIPAL_SYNONYMS]).warm_up())
    assert tables_equal(second, first)
    assert {g for g, _ in second.run("引っ越し").synonyms} & {g for g, _ in second.run("転居").synonyms}


def test_kept_synonym_terms_of_other_files_are_not_used(tmp_path: Path) -> None:
    own = tmp_path / "own.txt"
    own.write_text("000001,1,0,1,0,0,0,(),引っ越し,,\n000001,1,0,1,0,0,0,(),転居,,\n", encoding="utf-8")
    TextNormaliser("A", [MUNICIPAL_SYNONYMS], tmp_path / "cache").warm_up()
    kept = next((tmp_path / "cache").iterdir())
    stale = json.loads(kept.read_text(encoding="utf-8"))
    stale["terms"] = {word: ["違う語"] for word in stale["terms"]}
    kept.write_text(json.dumps(stale, ensure_ascii=False), encoding="utf-8")
    normaliser = TextNormaliser("A", [own], tmp_path / "cache").warm_up()
    assert tables_equal(normaliser, TextNormaliser("A", [own]).warm_up())
    assert json.loads(kept.read_text(encoding="utf-8"))["fingerprint"] == normaliser.synonyms.fingerprint


def refuse_to_parse(self: TextNormaliser, text: str) -> list[str]:
    raise AssertionError(f"a synonym headword was read through Sudachi again: {text}")


def test_a_renamed_synonym_file_is_another_synonym_setting(tmp_path: Path) -> None:
    """Group terms carry the file's name (≡city:000001), so an index built with one name does not match
    queries read with another: the names are part of the fingerprint an index is checked against."""
    rows = "000001,1,0,1,0,0,0,(),引っ越し,,\n000001,1,0,1,0,0,0,(),転居,,\n"
    city, renamed = tmp_path / "city.txt", tmp_path / "renamed.txt"
    for path in (city, renamed):
        path.write_text(rows, encoding="utf-8")
    before, after = (TextNormaliser("A", [path]).warm_up() for path in (city, renamed))
    assert before.run("転居").synonyms != after.run("転居").synonyms
    assert before.config()["synonyms"] != after.config()["synonyms"]
