"""LINE's own words (buttons, labels) in the resident's language; the answer text itself from the bot."""

from __future__ import annotations

from bot import Answer
from bot.multilingual.texts import TEXTS

JAPANESE = {"contact": "担当", "more": "くわしく見る", "helpful": "👍 解決した", "unhelpful": "👎 解決しない",
            "handoff": "担当者につなぐ", "voted_up": "ありがとうございます。",
            "voted_down": "お役に立てずすみません。「担当者と話したい」と送ると、担当者におつなぎします。"}

# a button of an earlier offer (a double tap, an old list): (nothing offered now, choose from what is)
STALE_CHOICE = {
    "ja": ("この選択肢は選べなくなりました。もう一度ご質問ください。",
           "この選択肢は選べなくなりました。いまの選択肢から、番号か項目を選んでください。"),
    "en": ("This choice is no longer available. Please ask your question again.",
           "This choice is no longer available. Please choose a number or an item from the current list."),
    "zh-Hans": ("此选项已失效。请重新提问。", "此选项已失效。请从当前的选项中选择编号或项目。"),
    "ko": ("이 선택지는 더 이상 선택할 수 없습니다. 다시 질문해 주세요.",
           "이 선택지는 더 이상 선택할 수 없습니다. 현재 목록에서 번호나 항목을 선택해 주세요."),
    "vi": ("Lựa chọn này không còn hiệu lực. Vui lòng đặt câu hỏi lại.",
           "Lựa chọn này không còn hiệu lực. Hãy chọn số hoặc mục trong danh sách hiện tại."),
    "pt": ("Esta opção não está mais disponível. Faça a sua pergunta novamente.",
           "Esta opção não está mais disponível. Escolha um número ou item da lista atual."),
}


def labels(language: str) -> dict[str, str]:
    """Button and label texts for a language (Japanese unless the bot has that language)."""
    return TEXTS.get(language, JAPANESE) if language != "ja" else JAPANESE


def answer_body(reply: Answer) -> str:
    """The entry as the resident reads it: the translation, or the Japanese answer under its notice."""
    record = reply.record
    assert record is not None
    translated = record.translated(reply.answer_language) if reply.answer_language != "ja" else None
    if translated is not None:
        return translated[1]
    return f"{reply.notice}\n\n{record.answer}" if reply.notice else record.answer
