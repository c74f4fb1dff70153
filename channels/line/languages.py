"""LINE's own words (buttons, labels) in the resident's language; the answer text itself from the bot."""

from __future__ import annotations

from bot import Answer
from bot.multilingual.texts import TEXTS, text

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

# to a sticker, a photo or anything but text
NOT_TEXT = {
    "ja": "ごめんなさい、スタンプや画像などにはお答えできません。ご質問を文字で送ってください。",
    "en": "Sorry, we cannot answer stickers or images. Please type your question.",
    "zh-Hans": "抱歉，无法回复贴图或图片等内容。请用文字发送您的问题。",
    "ko": "죄송합니다. 스티커나 이미지 등에는 답할 수 없습니다. 질문을 글자로 보내 주세요.",
    "vi": "Xin lỗi, chúng tôi không thể trả lời nhãn dán hay hình ảnh. Hãy gửi câu hỏi bằng chữ.",
    "pt": "Desculpe, não podemos responder a figurinhas ou imagens. Escreva a sua pergunta em texto.",
}
# to the bot's name alone in a group or room
ASK_AWAY = {
    "ja": "ご質問をどうぞ。「@（この名前） 粗大ごみの出し方」のように、名前のあとに続けて送ってください。",
    "en": "Please ask your question. Send it right after the name, like \"@(this name) large garbage\".",
    "zh-Hans": "请提问。请像“@（此名称） 大件垃圾怎么扔”这样，在名称后面接着发送问题。",
    "ko": "질문해 주세요. \"@(이 이름) 대형 쓰레기 버리는 법\"처럼 이름 뒤에 이어서 보내 주세요.",
    "vi": "Mời bạn đặt câu hỏi. Hãy gửi ngay sau tên, ví dụ: \"@(tên này) cách vứt rác cỡ lớn\".",
    "pt": "Pode perguntar. Envie a pergunta logo depois do nome, por exemplo: \"@(este nome) lixo grande\".",
}


def said_in(sentences: dict[str, str], language: str) -> str:
    """One of LINE's own sentences in the resident's language (Japanese unless madoguchi speaks it)."""
    return sentences.get(language, sentences["ja"])


def too_fast(language: str, japanese: str) -> str:
    """The refusal of a resident who writes too fast, in their language as the web widget says it; the
    city's Japanese sentence for a Japanese resident."""
    return japanese if language not in TEXTS else text(language, "too_fast")


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
