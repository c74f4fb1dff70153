"""What the bot says around an entry, in the resident's language (entries' own texts come from the FAQ
table)."""

from __future__ import annotations

import re
import unicodedata

from knowledge.core.settings import Settings
from knowledge.languages import NAMES

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "more": "Details", "helpful": "👍 Solved", "unhelpful": "👎 Not solved",
        "handoff": "Talk to a person", "handed_over": "We have passed your question to a person. The answer "
                                                      "will be sent in this chat (office hours: {hours}).",
        "voted_up": "Thank you.",
        "voted_down": "Sorry we could not help. Send \"talk to a person\" to reach a person.",
        "clarify": "Which of these is closest? Choose a number or an item.",
        "clarify_one": "Is this what you are looking for? Choose a number or an item.",
        "none": "None of these (talk to a person)",
        "not_found": "Sorry, we could not find information that answers your question. We will pass "
                     "it to a person.",
        "person": "We will pass your question to a person.",
        "joined": "We have added this to the question you already passed to a person; their answer will "
                  "come in this chat.",
        "hours": "Office hours", "urgent": "If urgent", "contact": "Contact", "details": "Details",
        "japanese_only": "This answer is only available in Japanese. For help in English: {help}",
        "greeting": "Hello. This is the {city} help desk. Please type your question in a short sentence.",
        "thanks": "You're welcome. If you have another question, please type it.",
        "too_fast": "You are sending too quickly. Please wait a moment and try again.",
    },
    "zh-Hans": {
        "more": "查看详情", "helpful": "👍 已解决", "unhelpful": "👎 未解决", "handoff": "转接工作人员",
        "handed_over": "已为您转接工作人员。回答将在此对话中发送（受理时间：{hours}）。",
        "voted_up": "谢谢。", "voted_down": "很抱歉没能帮上忙。发送“转接工作人员”即可联系工作人员。",
        "clarify": "以下哪一项最接近？请选择编号或项目。",
        "clarify_one": "您要找的是这一项吗？请选择编号或项目。",
        "none": "都不是（转接工作人员）",
        "not_found": "很抱歉，没有找到能回答您问题的信息。我们将为您转接工作人员。",
        "person": "我们将为您转接工作人员。",
        "joined": "已将这条内容补充到您之前转给工作人员的问题中，回答将在此对话中发送。",
        "hours": "受理时间", "urgent": "紧急时", "contact": "咨询", "details": "详情",
        "japanese_only": "此回答只有日语版。需要中文帮助请联系：{help}",
        "greeting": "您好。这里是{city}的咨询窗口。请用简短的句子输入您的问题。",
        "thanks": "不客气。如有其他问题，请继续输入。",
        "too_fast": "发送过于频繁。请稍等片刻后再试。",
    },
    "ko": {
        "more": "자세히 보기", "helpful": "👍 해결됨", "unhelpful": "👎 해결 안 됨", "handoff": "담당자 연결",
        "handed_over": "담당자에게 연결했습니다. 답변은 이 대화로 보내 드립니다 (접수 시간: {hours}).",
        "voted_up": "감사합니다.",
        "voted_down": "도움이 되지 못해 죄송합니다. \"담당자 연결\"이라고 보내면 담당자에게 연결됩니다.",
        "clarify": "다음 중 어느 것이 가장 가깝습니까? 번호나 항목을 선택해 주세요.",
        "clarify_one": "찾으시는 내용이 이것입니까? 번호나 항목을 선택해 주세요.",
        "none": "해당 없음 (담당자 연결)",
        "not_found": "죄송합니다. 질문에 답할 수 있는 정보를 찾지 못했습니다. 담당자에게 "
                     "연결해 드리겠습니다.",
        "person": "담당자에게 연결해 드리겠습니다.",
        "joined": "이 내용을 앞서 담당자에게 전달한 문의에 덧붙였습니다. 답변은 이 대화로 보내 드립니다.",
        "hours": "접수 시간", "urgent": "급한 경우", "contact": "문의", "details": "자세히",
        "japanese_only": "이 답변은 일본어로만 제공됩니다. 한국어 상담: {help}",
        "greeting": "안녕하세요. {city} 문의 창구입니다. 질문을 짧은 문장으로 입력해 주세요.",
        "thanks": "천만에요. 다른 질문이 있으면 입력해 주세요.",
        "too_fast": "너무 자주 보내고 있습니다. 잠시 후 다시 시도해 주세요.",
    },
    "vi": {
        "more": "Xem chi tiết", "helpful": "👍 Đã giải quyết", "unhelpful": "👎 Chưa giải quyết",
        "handoff": "Nói chuyện với nhân viên", "handed_over": "Chúng tôi đã chuyển câu hỏi cho nhân viên. "
                                                              "Câu trả lời sẽ được gửi trong cuộc trò "
                                                              "chuyện này (giờ tiếp nhận: {hours}).",
        "voted_up": "Cảm ơn bạn.",
        "voted_down": "Xin lỗi vì chưa giúp được. Gửi \"nói chuyện với nhân viên\" để gặp nhân viên.",
        "clarify": "Mục nào gần nhất với câu hỏi của bạn? Hãy chọn số hoặc mục.",
        "clarify_one": "Đây có phải là điều bạn đang tìm không? Hãy chọn số hoặc mục.",
        "none": "Không có mục nào phù hợp (nói chuyện với nhân viên)",
        "not_found": "Xin lỗi, chúng tôi không tìm thấy thông tin trả lời câu hỏi của bạn. Chúng tôi sẽ "
                     "chuyển cho nhân viên.",
        "person": "Chúng tôi sẽ chuyển câu hỏi của bạn cho nhân viên.",
        "joined": "Chúng tôi đã thêm nội dung này vào câu hỏi bạn đã chuyển cho nhân viên; câu trả lời "
                  "sẽ được gửi trong cuộc trò chuyện này.",
        "hours": "Giờ tiếp nhận", "urgent": "Khi cần gấp", "contact": "Liên hệ", "details": "Chi tiết",
        "japanese_only": "Câu trả lời này chỉ có bằng tiếng Nhật. Hỗ trợ bằng tiếng Việt: {help}",
        "greeting": "Xin chào. Đây là quầy hỏi đáp của {city}. Hãy nhập câu hỏi bằng một câu ngắn.",
        "thanks": "Không có gì. Nếu bạn có câu hỏi khác, hãy nhập tiếp.",
        "too_fast": "Bạn đang gửi quá nhanh. Vui lòng đợi một chút rồi thử lại.",
    },
    "pt": {
        "more": "Detalhes", "helpful": "👍 Resolvido", "unhelpful": "👎 Não resolvido",
        "handoff": "Falar com um atendente", "handed_over": "Passamos a sua pergunta a um atendente. A "
                                                            "resposta será enviada nesta conversa "
                                                            "(horário: {hours}).", "voted_up": "Obrigado.",
        "voted_down": "Desculpe não ter ajudado. Envie \"falar com um atendente\" para falar com uma pessoa.",
        "clarify": "Qual destes é o mais próximo? Escolha um número ou item.",
        "clarify_one": "É isto que você procura? Escolha um número ou item.",
        "none": "Nenhum destes (falar com um atendente)",
        "not_found": "Desculpe, não encontramos informações para a sua pergunta. Vamos "
                     "passá-la a um atendente.",
        "person": "Vamos passar a sua pergunta a um atendente.",
        "joined": "Acrescentamos isto à pergunta que você já passou a um atendente; a resposta virá "
                  "nesta conversa.",
        "hours": "Horário de atendimento", "urgent": "Se for urgente", "contact": "Contato",
        "details": "Detalhes",
        "japanese_only": "Esta resposta só está disponível em japonês. Ajuda em português: {help}",
        "greeting": "Olá. Este é o atendimento de {city}. Digite sua pergunta em uma frase curta.",
        "thanks": "De nada. Se tiver outra pergunta, digite-a.",
        "too_fast": "Você está enviando rápido demais. Aguarde um momento e tente novamente.",
    },
}
GREETINGS = {"hello", "hi", "hey", "good morning", "你好", "您好", "안녕하세요", "안녕", "xin chào",
             "xin chao", "chào", "olá", "ola", "oi", "bom dia", "boa tarde"}
PERSON = {"i want to talk to a person", "talk to a person", "human", "staff", "我想和工作人员说话",
          "转接工作人员",
          "담당자와 이야기하고 싶어요", "담당자 연결", "tôi muốn nói chuyện với nhân viên",
          "nói chuyện với nhân viên", "quero falar com um atendente", "falar com um atendente"}
# a request for a person anywhere in a message (accents and case folded): 「Can I speak to someone?」,
# 「Quero falar com uma pessoa」, 「사람과 이야기하고 싶어요」 are requests as much as the set phrases above
PERSON_ASKED = re.compile("|".join((
    (r"\b(talk|speak|chat)\b.{0,20}\b(to|with)\b.{0,12}\b(person|human|someone|somebody|staff|agent|operator"
     r"|officer|representative|people)\b"),
    r"\b(real|live) (person|human|agent)\b",
    r"\bfalar com\b.{0,20}\b(alguem|pessoa|atendente|funcionari[oa]|humano)\b",
    r"\b(noi chuyen|gap|lien he|ket noi)\b.{0,20}\b(nhan vien|nguoi that|can bo|tu van vien)\b",
    r"(사람|담당자|직원|상담원|상담사).{0,3}(이야기|얘기|통화|연결|상담|대화)",
    r"人工客服|转人工|工作人员|真人",
)))
THANKS = {"thank you", "thanks", "谢谢", "감사합니다", "고맙습니다", "cảm ơn", "cam on", "obrigado",
          "obrigada"}


def text(language: str, key: str, **values: str) -> str:
    """One of the bot's own sentences in a language (English for a language without its own)."""
    return TEXTS.get(language, TEXTS["en"])[key].format(**values)


def escalate_text(language: str, settings: Settings, asked_for_person: bool) -> str:
    """Like bot.compose.escalate_text, in the resident's language; hours and numbers as the city wrote
    them."""
    first = text(language, "person" if asked_for_person else "not_found")
    return (f"{first}\n{text(language, 'hours')}: {settings.call_center_hours}\n"
            f"{text(language, 'urgent')}: {settings.call_center_contact}")


def joined_text(language: str, settings: Settings) -> str:
    """Like bot.compose.joined_text, in the resident's language."""
    return f"{text(language, 'joined')}\n{text(language, 'hours')}: {settings.call_center_hours}"


def courtesy(language: str, message: str) -> str | None:
    """greeting / thanks / human (asks for a person) when the whole message is one, else None."""
    said = message.strip().strip("!.?！。？ ").lower()
    for name, phrases in (("greeting", GREETINGS), ("thanks", THANKS), ("human", PERSON)):
        if said in phrases:
            return name
    return "human" if only_asks_for_a_person(unaccented(said)) else None


def only_asks_for_a_person(said: str) -> bool:
    """A request for a person that is most of the message: 「Can I talk to a person?」 is one, 「Can I speak
    to staff in English at the city office?」 asks whether such staff exist, which an entry answers."""
    found = PERSON_ASKED.search(said)
    if found is None:
        return False
    rest = f"{said[:found.start()]} {said[found.end():]}"
    letters = len(re.sub(r"[\W_]", "", rest))
    return len(rest.split()) <= 5 and letters <= (24 if re.search(r"[a-z]", rest) else 6)


def unaccented(text: str) -> str:
    """Latin letters without their accents (nói chuyện → noi chuyen, alguém → alguem): residents type both."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def language_name(code: str) -> str:
    """「English」, 「한국어」 … for the desk."""
    return NAMES.get(code, code)
