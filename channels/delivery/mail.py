"""E-mail to a resident who asked for it: the agent's reply, through the city's SMTP server.

Headers and body are UTF-8 (the subject and the sender's name as RFC 2047 encoded words, the body in
base64), so Japanese arrives intact in any mail reader. The Message-ID comes from the outbox key, so a
retried send after a lost answer is recognisable as the same message. The password is only handed to
`smtplib` and never logged; failures raise and the outbox retries them.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, parseaddr

from knowledge.core.errors import ConfigurationError
from knowledge.core.settings import Settings

SUBJECT = "【{city}】お問い合わせへの回答"
FOOTER = ("\n\n――――\nこのメールは{city}のお問い合わせ窓口から送っています（送信専用です）。\nお問い合わせ: "
          "{contact}\n")


def reply_message(settings: Settings, to: str, text: str, key: str, name: str = "") -> EmailMessage:
    """The reply as a UTF-8 message with the city's subject, the resident's name if they gave one, and a
    footer saying where to ask again."""
    message = EmailMessage(policy=SMTP)
    message["Subject"] = SUBJECT.format(city=settings.city_name)
    message["From"] = settings.smtp_from or ""
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    domain = parseaddr(settings.smtp_from or "")[1].rpartition("@")[2] or "madoguchi.invalid"
    message["Message-ID"] = f"<{uuid.uuid5(uuid.NAMESPACE_URL, key)}@{domain}>"
    footer = FOOTER.format(city=settings.city_name, contact=settings.call_center_contact)
    greeting = f"{name} 様\n\n" if name.strip() else ""
    message.set_content(greeting + text + footer, charset="utf-8", cte="base64")
    return message


def _tls(settings: Settings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(settings.smtp_ca_file) if settings.smtp_ca_file else None)


def _connect(settings: Settings) -> smtplib.SMTP:
    host, port, timeout = settings.smtp_host or "", settings.smtp_port, settings.smtp_timeout_seconds
    if settings.smtp_security == "tls":
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=_tls(settings))
    client = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if settings.smtp_security == "starttls":
            client.starttls(context=_tls(settings))
    except BaseException:
        client.close()
        raise
    return client


def send_mail(settings: Settings, message: EmailMessage) -> None:
    """Hand the message to the SMTP server; any refusal or network failure raises (the outbox retries)."""
    if not settings.smtp_host:
        raise ConfigurationError("MADOGUCHI_SMTP_HOST is not set")
    with _connect(settings) as client:
        if settings.smtp_user and settings.smtp_password is not None:
            client.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        client.send_message(message)
