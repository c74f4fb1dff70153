"""Personal data typed into chats is masked before storage."""

from __future__ import annotations

import pytest

from bot.store.masking import mask_personal_data


@pytest.mark.parametrize(("text", "label", "gone"), [
    ("折り返しは090-1234-5678にお願いします", "[電話番号]", "1234"),
    ("自宅は０３－１２３４－５６７８です", "[電話番号]", "5678"),
    ("携帯 09012345678", "[電話番号]", "09012345678"),
    ("+81 90 1234 5678 に電話ください", "[電話番号]", "1234"),
    ("メールは yamada.hanako+city@example.co.jp まで", "[メール]", "yamada"),
    ("マイナンバーは1234 5678 9012です", "[個人番号]", "9012"),
    ("個人番号１２３４５６７８９０１２を書きました", "[個人番号]", "9012"),
    ("カード 4111-1111-1111-1111 で払えますか", "[カード番号]", "4111"),
    ("住所はみなと市中央町1-2-3です", "[住所]", "1-2-3"),
    ("北浜町2丁目10番5号に住んでいます", "[住所]", "10番"),
    ("電話は〇九〇ー一二三四ー五六七八です", "[電話番号]", "五六七八"),
    ("れんらくさき 〇三 一二三四 五六七八", "[電話番号]", "五六七八"),
    ("連絡先は090\u200b1234\u200b5678です", "[電話番号]", "5678"),
    ("連絡先は090\u00ad1234\u20605678です", "[電話番号]", "5678"),
    ("番号は1234\ufeff5678\u200c9012です", "[個人番号]", "9012"),
    ("カード 4111\u200c1111\u200c1111\u200c1111", "[カード番号]", "4111"),
    ("メールは taro\u200b@example.jp", "[メール]", "taro"),
    ("電話は090・1234・5678です", "[電話番号]", "5678"),
    ("電話は090/1234/5678", "[電話番号]", "5678"),
    ("電話は090〜1234〜5678", "[電話番号]", "5678"),
    ("電話は090_1234_5678", "[電話番号]", "5678"),
])
def test_personal_data_is_replaced_by_a_label(text: str, label: str, gone: str) -> None:
    masked = mask_personal_data(text)
    assert label in masked and gone not in masked


@pytest.mark.parametrize("text",
                         ["粗大ごみの手数料は200円ですか", "平日8:30〜17:15に行けます", "2026年4月1日から",
                          "住民票の写しは1通300円", "第2・第4土曜は9:00〜12:00",
                          "令和6年4月1日", "1-2月は休み", "平日は9-17時", "0.5ミリ",
                          "コーポ山田に住んでいます", "一二三四五六七八九と数えます", "2026/12/05に行きます",
                          "12/5〜12/28は休み", "1・2・3番窓口", "10〜12時"])
def test_ordinary_questions_are_left_alone(text: str) -> None:
    """(Dates with slashes, ranges with 〜 and lists with ・ are no phone numbers.)"""
    import unicodedata

    assert mask_personal_data(text) == unicodedata.normalize("NFKC", text)


def test_a_masked_question_taught_as_a_paraphrase_brings_no_label_words_into_search() -> None:
    """Stored questions are masked; one an agent labels becomes a paraphrase. Its [住所] or [電話番号]
    must not make 住所 or 電話番号 words of the entry, or 「住所変更」 would find the bulky-waste entry."""
    from indexer.normalise import TextNormaliser

    told = ("みなと市中央町1-2-3、090-1234-5678、a@example.jp、〒100-0001、1234 5678 9012、"
            "4111-1111-1111-1111。粗大ごみの出し方は？")
    masked = mask_personal_data(told)
    assert masked.count("[") == 6, masked
    normalised = TextNormaliser("A").run(masked)
    assert set(normalised.terms) == {"粗大", "ごみ", "出す"}, normalised.terms
    assert "[" not in normalised.text
