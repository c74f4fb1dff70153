"""What the bot says around an entry, in the resident's language (entries' own texts come from the FAQ table)."""

from __future__ import annotations

from knowledge.languages import NAMES
from knowledge.settings import Settings

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "clarify": "Which of these is closest? Choose a number or an item.",
        "none": "None of these (talk to a person)",
        "not_found": "Sorry, we could not find information that answers your question. We will pass it to a person.",
        "person": "We will pass your question to a person.",
        "hours": "Office hours", "urgent": "If urgent", "contact": "Contact", "details": "Details",
        "japanese_only": "This answer is only available in Japanese. For help in English: {help}",
        "greeting": "Hello. This is the {city} help desk. Please type your question in a short sentence.",
        "thanks": "You're welcome. If you have another question, please type it.",
    },
    "zh-Hans": {
        "clarify": "以下哪一项最接近？请选择编号或项目。",
        "none": "都不是（转接工作人员）",
        "not_found": "很抱歉，没有找到能回答您问题的信息。我们将为您转接工作人员。",
        "person": "我们将为您转接工作人员。",
        "hours": "受理时间", "urgent": "紧急时", "contact": "咨询", "details": "详情",
        "japanese_only": "此回答只有日语版。需要中文帮助请联系：{help}",
        "greeting": "您好。这里是{city}的咨询窗口。请用简短的句子输入您的问题。",
        "thanks": "不客气。如有其他问题，请继续输入。",
    },
    "ko": {
        "clarify": "다음 중 어느 것이 가장 가깝습니까? 번호나 항목을 선택해 주세요.",
        "none": "해당 없음 (담당자 연결)",
        "not_found": "죄송합니다. 질문에 답할 수 있는 정보를 찾지 못했습니다. 담당자에게 연결해 드리겠습니다.",
        "person": "담당자에게 연결해 드리겠습니다.",
        "hours": "접수 시간", "urgent": "급한 경우", "contact": "문의", "details": "자세히",
        "japanese_only": "이 답변은 일본어로만 제공됩니다. 한국어 상담: {help}",
        "greeting": "안녕하세요. {city} 문의 창구입니다. 질문을 짧은 문장으로 입력해 주세요.",
        "thanks": "천만에요. 다른 질문이 있으면 입력해 주세요.",
    },
    "vi": {
        "clarify": "Mục nào gần nhất với câu hỏi của bạn? Hãy chọn số hoặc mục.",
        "none": "Không có mục nào phù hợp (nói chuyện với nhân viên)",
        "not_found": "Xin lỗi, chúng tôi không tìm thấy thông tin trả lời câu hỏi của bạn. Chúng tôi sẽ chuyển cho nhân viên.",
        "person": "Chúng tôi sẽ chuyển câu hỏi của bạn cho nhân viên.",
        "hours": "Giờ tiếp nhận", "urgent": "Khi cần gấp", "contact": "Liên hệ", "details": "Chi tiết",
        "japanese_only": "Câu trả lời này chỉ có bằng tiếng Nhật. Hỗ trợ bằng tiếng Việt: {help}",
        "greeting": "Xin chào. Đây là quầy hỏi đáp của {city}. Hãy nhập câu hỏi bằng một câu ngắn.",
        "thanks": "Không có gì. Nếu bạn có câu hỏi khác, hãy nhập tiếp.",
    },
    "pt": {
        "clarify": "Qual destes é o mais próximo? Escolha um número ou item.",
        "none": "Nenhum destes (falar com um atendente)",
        "not_found": "Desculpe, não encontramos informações para a sua pergunta. Vamos passá-la a um atendente.",
        "person": "Vamos passar a sua pergunta a um atendente.",
        "hours": "Horário de atendimento", "urgent": "Se for urgente", "contact": "Contato", "details": "Detalhes",
        "japanese_only": "Esta resposta só está disponível em japonês. Ajuda em português: {help}",
        "greeting": "Olá. Este é o atendimento de {city}. Digite sua pergunta em uma frase curta.",
        "thanks": "De nada. Se tiver outra pergunta, digite-a.",
    },
}
GREETINGS = {"hello", "hi", "hey", "good morning", "你好", "您好", "안녕하세요", "안녕", "xin chào", "xin chao",
             "chào", "olá", "ola", "oi", "bom dia", "boa tarde"}
THANKS = {"thank you", "thanks", "谢谢", "감사합니다", "고맙습니다", "cảm ơn", "cam on", "obrigado", "obrigada"}


def text(language: str, key: str, **values: str) -> str:
    """One of the bot's own sentences in a language (English for a language without its own)."""
    return TEXTS.get(language, TEXTS["en"])[key].format(**values)


def escalate_text(language: str, settings: Settings, asked_for_person: bool) -> str:
    """Like bot.compose.escalate_text, in the resident's language; hours and numbers as the city wrote them."""
    first = text(language, "person" if asked_for_person else "not_found")
    return (f"{first}\n{text(language, 'hours')}: {settings.call_center_hours}\n"
            f"{text(language, 'urgent')}: {settings.call_center_contact}")


def courtesy(language: str, message: str) -> str | None:
    """greeting / thanks when the whole message is one, else None."""
    said = message.strip().strip("!.?！。？ ").lower()
    return "greeting" if said in GREETINGS else "thanks" if said in THANKS else None


def language_name(code: str) -> str:
    """「English」, 「한국어」 … for the desk."""
    return NAMES.get(code, code)
