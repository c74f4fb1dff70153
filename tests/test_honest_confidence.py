"""Day one without labels: confidence that admits what the top entry does not say, and kana typing answered
like kanji. Through `madoguchi ask --batch` on the sample city, and on questions kept apart from training
(tests/data/unseen_questions.jsonl and unseen_questions_2.jsonl, each written before the bot's answers to it
were seen)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bot.evaluate import score_lines
from bot.labelled import read_labelled
from channels.cli.app import app
from indexer.bm25 import BM25Index

pytestmark = pytest.mark.integration

UNSEEN = Path(__file__).resolve().parent / "data" / "unseen_questions.jsonl"
UNSEEN_2 = Path(__file__).resolve().parent / "data" / "unseen_questions_2.jsonl"


def ask_batch(cli: CliRunner, index_dir: Path, tmp_path: Path, texts: list[str]) -> list[dict]:
    """Each question's line of `madoguchi ask --batch`: decision, confidence and ranked entries."""
    batch = tmp_path / "questions.jsonl"
    batch.write_text("".join(json.dumps({"id": str(n), "text": t}, ensure_ascii=False) + "\n"
                             for n, t in enumerate(texts)), encoding="utf-8")
    result = cli.invoke(app, ["ask", "--index-dir", str(index_dir), "--batch", str(batch), "--top-k", "3",
                              "--out", str(tmp_path / "run.jsonl")])
    assert result.exit_code == 0, result.output
    return [json.loads(x) for x in (tmp_path / "run.jsonl").read_text(encoding="utf-8").splitlines()]


def outcome(line: dict) -> tuple[list[str], str, float]:
    """What the resident is shown for a question: the entries in order, the decision and its confidence."""
    return [r["id"] for r in line["results"]], line["decision"], line["confidence"]


def test_a_cat_is_not_answered_with_the_dog_registration_entry(cli: CliRunner, sample_index_dir: Path,
                                                                tmp_path: Path) -> None:
    cat, dog = ask_batch(cli, sample_index_dir, tmp_path, ["猫を飼い始めたのですが、登録は必要ですか",
                                                          "犬を飼い始めたのですが、登録は必要ですか"])
    assert dog["decision"] == "answer" and dog["results"][0]["id"] == "R192"
    assert cat["decision"] != "answer" and cat["confidence"] <= 0.6


def test_choices_matched_about_half_as_well_as_the_first_are_not_offered(cli: CliRunner,
                                                                        sample_index_dir: Path) -> None:
    def asked(text: str) -> str:
        result = cli.invoke(app, ["ask", "--index-dir", str(sample_index_dir), text])
        assert result.exit_code == 0, result.output
        return result.output

    # the dog registration's sum is 7.9, the two seal registration entries' 3.7 and 3.4
    cat = asked("猫を飼い始めたのですが、登録は必要ですか")
    assert "1. 犬を飼い始めました" in cat and "印鑑登録" not in cat and "2. どれにも当てはまらない" in cat
    assert "お探しの内容はこちらですか？" in cat
    card = asked("カードをなくした")
    assert "マイナンバーカードをなくしました" in card and "印鑑登録証をなくしました" in card
    assert "4. どれにも当てはまらない" in card


def test_another_allowance_is_not_answered_with_the_child_allowance_entry(
        cli: CliRunner, sample_index_dir: Path, tmp_path: Path) -> None:
    # 扶養 is in 3 of the sample city's 280 entries and passages, none of them about 児童扶養手当's amount
    other, asked = ask_batch(cli, sample_index_dir, tmp_path, ["児童扶養手当の金額はいくらですか",
                                                              "児童手当はいくらもらえますか"])
    assert asked["decision"] == "answer" and asked["results"][0]["id"] == "R079"
    assert other["results"][0]["id"] == "R079" and other["decision"] != "answer"


def test_asking_how_many_days_does_not_make_何_the_rare_subject_of_the_question(
        cli: CliRunner, sample_index_dir: Path, tmp_path: Path) -> None:
    # Sudachi reads the 何 of 何日 as a numeral; few of the city's entries say 何, yet it is what is asked
    [days] = ask_batch(cli, sample_index_dir, tmp_path, ["粗大ごみは何日前までに申し込めばいいですか"])
    assert days["results"][0]["id"] == "R105" and days["decision"] != "escalate"


def test_a_word_the_entries_say_through_the_citys_synonyms_is_not_missing_from_them(
        cli: CliRunner, sample_index_dir: Path, tmp_path: Path) -> None:
    # no entry writes 国保; the municipal synonyms make it 国民健康保険, which the entries write
    written, short = ask_batch(cli, sample_index_dir, tmp_path,
                               ["国民健康保険に入る手続きを知りたい", "国保に入る手続きを知りたい"])
    assert short["results"][0]["id"] == written["results"][0]["id"]
    assert short["decision"] == written["decision"] == "answer"


def test_kana_only_and_katakana_questions_are_answered_like_their_kanji_form(
        cli: CliRunner, sample_index_dir: Path,
                                                                             tmp_path: Path) -> None:
    kanji, kana, short, katakana = ask_batch(cli, sample_index_dir, tmp_path, [
        "児童手当 いつ振り込まれる", "じどうてあて いつふりこまれる", "児童手当", "ジドウテアテ"])
    assert kanji["decision"] == kana["decision"] == "answer"
    assert [r["id"] for r in kana["results"]] == [r["id"] for r in kanji["results"]]
    assert kana["confidence"] == kanji["confidence"]
    assert [r["id"] for r in katakana["results"]] == [r["id"] for r in short["results"]]
    assert katakana["confidence"] == short["confidence"]


def test_kana_typing_is_read_into_the_compounds_residents_use_in_paraphrases(
        cli: CliRunner, sample_index_dir: Path, tmp_path: Path) -> None:
    # 母子手帳 is how residents ask: it is written only in R075's paraphrases, never in a question or answer
    kanji, kana = ask_batch(cli, sample_index_dir, tmp_path,
                            ["母子手帳はどこでもらえる", "ぼしてちょうはどこでもらえる"])
    assert kanji["results"][0]["id"] == "R075"
    assert outcome(kana) == outcome(kanji)


def test_a_sentence_typed_wholly_in_katakana_is_answered_like_its_kanji_form(
        cli: CliRunner, sample_index_dir: Path, tmp_path: Path) -> None:
    kanji, katakana, half_width, loanword, loanword_in_hiragana_text = ask_batch(
        cli, sample_index_dir, tmp_path, ["住民票の写しがほしい", "ジュウミンヒョウノウツシガホシイ",
                                          "ｼﾞｭｳﾐﾝﾋｮｳﾉｳﾂｼｶﾞﾎｼｲ", "スマホ", "スマホは"])
    for typed in (katakana, half_width):
        assert outcome(typed) == outcome(kanji)
    # a loanword is not read as hiragana (すまほ is not a word)
    assert [r["id"] for r in loanword["results"]] == [r["id"] for r in loanword_in_hiragana_text["results"]]


def test_a_loanword_typed_in_kana_is_not_cut_where_sudachi_sees_an_auxiliary(
        cli: CliRunner, sample_index_dir: Path, tmp_path: Path) -> None:
    # Sudachi reads the まい of まいなんばーかーど as an auxiliary; the city's katakana word still applies
    written, hiragana, katakana = ask_batch(cli, sample_index_dir, tmp_path, [
        "マイナンバーカードの更新", "まいなんばーかーどのこうしん", "マイナンバーカードノコウシン"])
    for typed in (hiragana, katakana):
        assert outcome(typed) == outcome(written)


def test_a_long_city_word_typed_in_kana_is_read_over_what_sudachi_takes_for_a_verb_form(
        cli: CliRunner, sample_index_dir: Path, tmp_path: Path) -> None:
    # read as kana, Sudachi takes the せたい of せたいぬし for する + たい;
    # the しょうか of でしょうか stays a verb form and is never read as 消火
    head, head_kana, polite, polite_kana = ask_batch(cli, sample_index_dir, tmp_path, [
        "世帯主が亡くなったときの手続き", "せたいぬしがなくなったときのてつづき",
        "転入届はどこに出せばよいでしょうか", "てんにゅうとどけはどこにだせばよいでしょうか"])
    assert outcome(head_kana) == outcome(head)
    assert polite_kana["decision"] == polite["decision"] == "answer"
    assert polite_kana["results"][0]["id"] == polite["results"][0]["id"]
    assert abs(polite_kana["confidence"] - polite["confidence"]) < 0.01


def test_a_city_word_typed_in_kana_is_read_where_sudachi_sees_a_verb_form_only_after_its_first_kana(
        cli: CliRunner, sample_index_dir: Path, tmp_path: Path) -> None:
    # Sudachi reads ぜいきん as ぜ + いき (行く) + ん: three of four kana a verb form, but not the first
    kanji, kana = ask_batch(cli, sample_index_dir, tmp_path, ["税金をコンビニで払いたい",
                                                              "ぜいきんをこんびにではらいたい"])
    assert outcome(kana) == outcome(kanji)
    assert kanji["decision"] == "answer"


def test_kana_typing_is_read_in_whole_syllables_and_never_as_a_lone_bound_kanji(
        cli: CliRunner, sample_index_dir: Path, tmp_path: Path) -> None:
    # しゅじゅつ was read as 主治 + ゅつ (the city writes 主治医, not 手術); しょうがっこう as 章 + 学校:
    # a single kanji read in two morae is a piece of a compound the city does not write
    surgery, surgery_kana, school, school_kana = ask_batch(cli, sample_index_dir, tmp_path, [
        "手術で入院したときの医療費が高い", "しゅじゅつでにゅういんしたときのいりょうひがたかい",
        "小学校の入学の手続き", "しょうがっこうのにゅうがくのてつづき"])
    assert outcome(surgery_kana) == outcome(surgery)
    assert school["decision"] == school_kana["decision"] == "escalate"


def test_kana_typing_is_read_into_the_compounds_of_answers_and_never_reads_a_pronoun_as_a_verb(
        cli: CliRunner, sample_index_dir: Path, tmp_path: Path) -> None:
    # 運転免許証 is written only in answers; an answer's 引き渡し gives the verb form 渡し, read ワタシ
    licence, licence_kana = ask_batch(cli, sample_index_dir, tmp_path, [
        "運転免許証で本人確認できますか", "うんてんめんきょしょうでほんにんかくにんできますか"])
    assert outcome(licence_kana) == outcome(licence)
    moving = "わたしは らいげつ ひっこします。なにを すればいいですか"
    explained = cli.invoke(app, ["ask", moving, "--explain", "--index-dir", str(sample_index_dir)],
                           env={"COLUMNS": "200"})
    assert explained.exit_code == 0 and "引っ越す" in explained.output, explained.output
    assert "渡" not in explained.output


def test_kana_typed_without_kanji_is_never_read_as_an_unrelated_noun(cli: CliRunner, sample_index_dir: Path,
                                                                     tmp_path: Path) -> None:
    kanji, kana = ask_batch(cli, sample_index_dir, tmp_path, ["印鑑登録したい", "いんかんとうろくしたい"])
    assert [r["id"] for r in kana["results"]] == [r["id"] for r in kanji["results"]]
    assert kana["confidence"] == kanji["confidence"]


def test_asking_how_much_of_an_entry_that_states_no_amount_is_not_answered(
        cli: CliRunner, sample_index_dir: Path,
                                                                           tmp_path: Path) -> None:
    how, cost = ask_batch(cli, sample_index_dir, tmp_path, ["使わなくなったパソコンの捨て方を教えて",
                                                           "使わなくなったパソコンを捨てるのにいくらかかりますか"])
    assert how["decision"] == "answer" and how["results"][0]["id"] == "R109"
    assert cost["results"][0]["id"] == "R109" and cost["decision"] != "answer"


def test_a_word_only_an_entrys_paraphrase_says_is_not_missing_from_that_entry(
        cli: CliRunner, tmp_path: Path) -> None:
    """The words 「FAQにする」 and `learn` add live in paraphrases only (読み聞かせ here): the entry that
    holds them must not lose half its confidence for them."""
    import shutil

    city = tmp_path / "city"
    shutil.copytree(Path(__file__).resolve().parents[1] / "knowledge" / "samples" / "minato", city)
    (city / "faq" / "library.csv").write_text(
        "id,question,answer,alt_questions,department\n"
        "L900,図書館で団体向けにまとめて本を借りられますか。,学校や地域の団体は、団体貸出の登録をすると一度に"
        "50冊まで、1か月借りられます。中央図書館のカウンターで申し込んでください。,"
        "読み聞かせボランティアで本をたくさん借りたい,中央図書館\n", encoding="utf-8")
    built = cli.invoke(app, ["index", "build", str(city), "--index-dir", str(tmp_path / "index")])
    assert built.exit_code == 0, built.output
    [asked] = ask_batch(cli, tmp_path / "index", tmp_path, ["読み聞かせボランティアで本をたくさん借りたい"])
    assert asked["decision"] == "answer" and asked["results"][0]["id"] == "L900", asked


def test_politeness_around_a_question_and_a_dash_for_the_long_vowel_change_nothing(
        cli: CliRunner, sample_index_dir: Path, tmp_path: Path) -> None:
    """すみません is read by Sudachi as すむ + the negation ない: a polite resident was asked to choose (or
    handed over) where the same question without it was answered. A dash typed for ー broke the katakana
    word."""
    plain, *variants = ask_batch(cli, sample_index_dir, tmp_path, [
        "粗大ごみの出し方を教えてください", "すみません、粗大ごみの出し方を教えてください",
        "申し訳ないのですが、粗大ごみの出し方を教えてください",
        "粗大ごみの出し方を教えてください。よろしくお願いいたします"])
    assert plain["decision"] == "answer"
    assert all(outcome(variant) == outcome(plain) for variant in variants), variants
    card, *dashed = ask_batch(cli, sample_index_dir, tmp_path, [
        "マイナンバーカードをなくしました", "マイナンバーカ－ドをなくしました",
        "マイナンバーカ-ドをなくしました"])
    assert all(outcome(variant) == outcome(card) for variant in dashed), dashed


def test_asking_which_day_or_how_many_years_of_an_entry_that_states_other_numbers_is_not_answered(
        cli: CliRunner, sample_index_dir: Path, tmp_path: Path) -> None:
    """An answer with a fee or a postcode in it states a number, but not the debit day or the deadline asked
    for; entries that do state the day or the period asked are still answered."""
    debit_day, deadline, paid_day, move_in = ask_batch(cli, sample_index_dir, tmp_path, [
        "市税を口座振替にしたら、引き落としは毎月何日ですか",
        "出産育児一時金は何年以内に申請すればいいですか",
        "児童手当は毎月何日に振り込まれますか", "転入届は引っ越してから何日以内に出せばいいですか"])
    assert debit_day["results"][0]["id"] == "R133" and debit_day["decision"] != "answer"
    assert deadline["results"][0]["id"] == "R078" and deadline["decision"] != "answer"
    assert paid_day["decision"] == move_in["decision"] == "answer"


def test_when_and_who_of_a_residents_story_are_not_what_the_question_is_about(
        cli: CliRunner, sample_index_dir: Path, tmp_path: Path) -> None:
    """今年 and 母 are not in the entry, and halved its confidence: an elderly resident telling the story
    behind the question was offered choices where the bare question was answered."""
    bare, story = ask_batch(cli, sample_index_dir, tmp_path, [
        "敬老祝金はもらえますか", "母が今年88歳になります。敬老祝金はもらえますか"])
    assert bare["decision"] == story["decision"] == "answer"
    assert bare["results"][0]["id"] == story["results"][0]["id"]


def test_a_homophone_the_input_method_picked_is_read_as_the_citys_word(cli: CliRunner, sample_index_dir: Path,
                                                                         tmp_path: Path) -> None:
    """住民表 is read ジュウミンヒョウ like 住民票 but split into 住民 + 表; a word of its own (保健所) and
    two-kanji words (講座, 口座) are never respelled."""
    right, slip, seal, slip_seal = ask_batch(cli, sample_index_dir, tmp_path, [
        "住民票をコンビニで取りたい", "住民表をコンビニで取りたい", "印鑑証明がほしい", "印鑑証名がほしい"])
    assert outcome(slip) == outcome(right) and outcome(slip_seal) == outcome(seal)
    assert right["decision"] == "answer"


def test_a_town_without_a_cat_entry_does_not_answer_a_cat_question_with_the_dog_registration(
        cli: CliRunner, tmp_path: Path) -> None:
    """猫 is in no entry of this town; its nearest town word is 犬, which the dog entry says. A near word
    stands for the question's word only when it is another way of writing it."""
    (tmp_path / "faq.csv").write_text(
        "番号,質問,回答\n"
        "T1,犬を飼い始めたら登録は必要ですか。,犬を飼い始めたら30日以内に登録が必要です。役場で申し込めます。\n"
        "T2,ごみの収集日はいつですか。,燃えるごみは月曜と木曜です。\n"
        "T3,住民票の写しはどこで取れますか。,役場の住民課で取れます。1通300円です。\n", encoding="utf-8")
    built = cli.invoke(app, ["index", "build", str(tmp_path / "faq.csv"), "--index-dir", str(tmp_path / "i")])
    assert built.exit_code == 0, built.output
    dog, cat = ask_batch(cli, tmp_path / "i", tmp_path,
                         ["犬を飼い始めたけど登録いる？", "猫を飼い始めたけど登録いる？"])
    assert dog["decision"] == "answer" and dog["results"][0]["id"] == "T1"
    assert cat["decision"] != "answer"


def unseen_metrics(cli: CliRunner, index_dir: Path, tmp_path: Path, first: str,
                   path: Path = UNSEEN) -> dict[str, float]:
    """Decision metrics of `madoguchi ask --batch` over the unseen questions whose ids start with `first`."""
    queries = [q for q in read_labelled(path) if q.id[0] in first]
    lines = ask_batch(cli, index_dir, tmp_path, [q.text for q in queries])
    for query, line in zip(queries, lines, strict=True):
        line["id"] = query.id
    return score_lines(queries, lines)


def test_unseen_questions_are_rarely_answered_wrongly(cli: CliRunner, sample_index_dir: Path,
                                                      tmp_path: Path) -> None:
    # the first 34, written with honest confidence
    metrics = unseen_metrics(cli, sample_index_dir, tmp_path, "un")
    assert metrics["wrong_answer"] <= 0.02
    assert metrics["escalated_when_unanswerable"] >= 0.55
    assert metrics["answered_right"] + metrics["clarified_right"] >= 0.85


def test_most_of_a_hundred_unseen_questions_nothing_answers_go_to_a_person(
        cli: CliRunner, sample_index_dir: Path,
                                                                            tmp_path: Path) -> None:
    """All 117 (83 written later, also before their answers were seen). Wrong answers: 5 of 117 when written,
    above the 2% the city asks for; the bound here keeps it from getting worse."""
    metrics = unseen_metrics(cli, sample_index_dir, tmp_path, "unvw")
    assert metrics["escalated_when_unanswerable"] >= 0.70
    assert metrics["wrong_answer"] <= 0.05
    assert metrics["answered_right"] + metrics["clarified_right"] >= 0.90


@pytest.mark.xfail(strict=True,
                   reason="second blind set, when written: wrong answers 7 of 80, 14 of 25 escalated, "
                          "answered or clarified right 44 of 55; see the notes of issue 16")
def test_a_second_set_written_blind_meets_the_same_bounds(cli: CliRunner, sample_index_dir: Path,
                                                          tmp_path: Path) -> None:
    """80 more (55 answerable, 25 that nothing answers), written by someone else before any answer was seen,
    held to the bounds the 117 are held to."""
    metrics = unseen_metrics(cli, sample_index_dir, tmp_path, "b", UNSEEN_2)
    assert metrics["escalated_when_unanswerable"] >= 0.70
    assert metrics["wrong_answer"] <= 0.05
    assert metrics["answered_right"] + metrics["clarified_right"] >= 0.90


def test_a_word_no_entry_contains_counts_against_coverage() -> None:
    bm25 = BM25Index().fit([["犬", "飼う", "登録"], ["ごみ", "出す"], ["住民票", "取る"]])
    _, with_cat = bm25.scores_and_coverage(["猫", "飼う", "登録"])
    _, without = bm25.scores_and_coverage(["飼う", "登録"])
    assert without[0] == np.float32(1.0) and with_cat[0] < 0.6
