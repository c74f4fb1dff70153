"""A real local SMTP server (aiosmtpd) standing in for a city's mail server: STARTTLS with its own
certificate, a sign-in, and a record of every message madoguchi hands it. It can refuse the next N
messages with a temporary error, as a busy or greylisting server does."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from testing.recorder import free_port

USER, PASSWORD = "madoguchi-mailer", "smtp-password-never-logged"


@dataclass
class Received:
    """One message as the server accepted it."""

    sender: str
    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        """Parsed the way a mail reader would (encoded words and base64 decoded)."""
        return message_from_bytes(self.raw, policy=default)


@dataclass
class MailServer:
    """`start(folder)` writes a certificate into `folder` and listens on a free port."""

    received: list[Received] = field(default_factory=list)
    attempts: int = 0
    refuse: int = 0
    controller: Controller | None = None
    port: int = 0
    ca_file: Path | None = None

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
            self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Accept the message, or refuse it while `refuse` lasts."""
        # aiosmtpd asks for DATA only after MAIL FROM, with the content already read
        assert envelope.mail_from is not None and envelope.original_content is not None
        self.attempts += 1
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"

    def start(self, folder: Path) -> MailServer:
        """Listen with STARTTLS required before AUTH, and one account."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*self._certificate(folder))
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, tls_context=context,
                                     require_starttls=True, authenticator=authenticate, auth_require_tls=True)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()

    def _certificate(self, folder: Path) -> tuple[str, str]:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                               critical=False)
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
        self.ca_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
        self.ca_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        return str(self.ca_file), str(key_file)


def authenticate(server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                 auth_data: object) -> AuthResult:
    """One account; anything else is refused."""
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() \
        and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok)
