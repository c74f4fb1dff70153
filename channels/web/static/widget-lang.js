/* madoguchi chat widget: its own words in the languages the bot answers in (en, zh-Hans, ko, vi, pt).
   Loaded by widget.js; Japanese stays in widget.js itself, so the widget works if this file does not load. */
window.madoguchiWidgetTexts = {
  "en": {
    you: "You:", desk: "Help desk:", newTab: " (opens in a new tab)",
    launcher: "Ask the city (chat)", input: "Type your question", placeholder: "e.g. What do I need to register my move?",
    send: "Send", close: "Close the chat", log: "Conversation", greeting: "Hello. This is the {city} help desk. Please type your question in a short sentence.",
    contact: "Contact", more: "Details (city page)", choices: "Choices", solved: "Did this solve your question?", yes: "👍 Yes", no: "👎 No",
    thanks: "Thank you.", sorry: "Sorry we could not help. You can also talk to a person.", handover: "Talk to a person",
    handoverText: "I want to talk to a person", typing: "Typing…", preparing: "Preparing an answer",
    formIntro: "If you would like a reply, enter your contact details (optional).", name: "Your name (optional)", email: "E-mail address",
    phone: "Phone number (for a call back)", submit: "Send", sent: "We received your contact details. A person will contact you.",
    known: "A person will contact you at the details you gave earlier.", reply: "Answer from staff", replyTo: " (to your question \"{q}\")",
    offline: "Could not connect. Check your connection and try again.", busy: "The service is busy. Please try again later.",
    failed: "Could not send. Please try again."
  },
  "zh-Hans": {
    you: "您：", desk: "窗口：", newTab: "（在新标签页中打开）",
    launcher: "咨询聊天", input: "输入问题", placeholder: "例：办理转入登记需要什么？", send: "发送", close: "关闭聊天", log: "对话",
    greeting: "您好。这里是{city}的咨询窗口。请用简短的句子输入您的问题。", contact: "咨询", more: "详情（市政府网页）", choices: "候选",
    solved: "问题解决了吗？", yes: "👍 是", no: "👎 否", thanks: "谢谢。", sorry: "很抱歉没能帮上忙。也可以转接工作人员。",
    handover: "转接工作人员", handoverText: "转接工作人员", typing: "正在输入…", preparing: "正在准备回答",
    formIntro: "如需回复，请输入联系方式（可选）。", name: "姓名（可选）", email: "电子邮箱", phone: "电话号码（需要回电时）", submit: "发送",
    sent: "已收到您的联系方式。工作人员会与您联系。", known: "工作人员会通过您之前留下的联系方式与您联系。", reply: "工作人员的回答",
    replyTo: "（回答您的问题“{q}”）", offline: "无法连接。请检查网络后重试。", busy: "当前繁忙，请稍后再试。", failed: "发送失败，请重试。"
  },
  "ko": {
    you: "나:", desk: "창구:", newTab: " (새 탭에서 열림)",
    launcher: "문의 채팅", input: "질문 입력", placeholder: "예: 전입신고에 필요한 것은?", send: "보내기", close: "채팅 닫기", log: "대화",
    greeting: "안녕하세요. {city} 문의 창구입니다. 질문을 짧은 문장으로 입력해 주세요.", contact: "문의", more: "자세히 (시 홈페이지)", choices: "후보",
    solved: "해결되었습니까?", yes: "👍 예", no: "👎 아니요", thanks: "감사합니다.", sorry: "도움이 되지 못해 죄송합니다. 담당자에게 연결할 수도 있습니다.",
    handover: "담당자 연결", handoverText: "담당자 연결", typing: "입력 중…", preparing: "답변을 준비하고 있습니다",
    formIntro: "답장을 원하시면 연락처를 입력해 주세요 (선택).", name: "이름 (선택)", email: "이메일 주소", phone: "전화번호 (회신 전화 희망 시)", submit: "보내기",
    sent: "연락처를 받았습니다. 담당자가 연락드립니다.", known: "앞서 남기신 연락처로 담당자가 연락드립니다.", reply: "담당자의 답변",
    replyTo: " (질문 \"{q}\"에 대한 답변)", offline: "연결할 수 없습니다. 연결을 확인하고 다시 시도해 주세요.", busy: "혼잡합니다. 잠시 후 다시 시도해 주세요.", failed: "보내지 못했습니다. 다시 시도해 주세요."
  },
  "vi": {
    you: "Bạn:", desk: "Quầy hỗ trợ:", newTab: " (mở trong thẻ mới)",
    launcher: "Chat hỏi đáp", input: "Nhập câu hỏi", placeholder: "Ví dụ: Cần gì để đăng ký chuyển đến?", send: "Gửi", close: "Đóng chat", log: "Cuộc trò chuyện",
    greeting: "Xin chào. Đây là quầy hỏi đáp của {city}. Hãy nhập câu hỏi bằng một câu ngắn.", contact: "Liên hệ", more: "Chi tiết (trang của thành phố)", choices: "Lựa chọn",
    solved: "Câu hỏi đã được giải quyết chưa?", yes: "👍 Rồi", no: "👎 Chưa", thanks: "Cảm ơn bạn.", sorry: "Xin lỗi vì chưa giúp được. Bạn có thể nói chuyện với nhân viên.",
    handover: "Nói chuyện với nhân viên", handoverText: "nói chuyện với nhân viên", typing: "Đang nhập…", preparing: "Đang chuẩn bị câu trả lời",
    formIntro: "Nếu muốn được trả lời, hãy nhập thông tin liên lạc (không bắt buộc).", name: "Họ tên (không bắt buộc)", email: "Địa chỉ e-mail",
    phone: "Số điện thoại (nếu muốn được gọi lại)", submit: "Gửi", sent: "Chúng tôi đã nhận thông tin liên lạc. Nhân viên sẽ liên hệ với bạn.",
    known: "Nhân viên sẽ liên hệ theo thông tin bạn đã để lại.", reply: "Câu trả lời của nhân viên", replyTo: " (cho câu hỏi \"{q}\")",
    offline: "Không kết nối được. Hãy kiểm tra kết nối và thử lại.", busy: "Hệ thống đang bận. Vui lòng thử lại sau.", failed: "Không gửi được. Vui lòng thử lại."
  },
  "pt": {
    you: "Você:", desk: "Atendimento:", newTab: " (abre em nova aba)",
    launcher: "Chat de atendimento", input: "Digite sua pergunta", placeholder: "Ex.: O que preciso para a notificação de mudança?", send: "Enviar",
    close: "Fechar o chat", log: "Conversa", greeting: "Olá. Este é o atendimento de {city}. Digite sua pergunta em uma frase curta.",
    contact: "Contato", more: "Detalhes (página da prefeitura)", choices: "Opções", solved: "Isso resolveu sua dúvida?", yes: "👍 Sim", no: "👎 Não",
    thanks: "Obrigado.", sorry: "Desculpe não ter ajudado. Você também pode falar com um atendente.", handover: "Falar com um atendente",
    handoverText: "falar com um atendente", typing: "Digitando…", preparing: "Preparando a resposta",
    formIntro: "Se quiser uma resposta, informe seu contato (opcional).", name: "Nome (opcional)", email: "E-mail", phone: "Telefone (para retorno)",
    submit: "Enviar", sent: "Recebemos seu contato. Um atendente entrará em contato.", known: "Um atendente entrará em contato pelo contato informado antes.",
    reply: "Resposta do atendente", replyTo: " (à sua pergunta \"{q}\")", offline: "Sem conexão. Verifique a conexão e tente novamente.",
    busy: "O serviço está ocupado. Tente mais tarde.", failed: "Não foi possível enviar. Tente novamente."
  }
};
