"""What the city sends out: the desk's notifications, the retries of every delivery, and e-mail replies.

Part of the one settings object (`knowledge.core.settings.Settings` inherits these), kept apart so each module
stays readable; the variables keep their flat `MADOGUCHI_` names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class DeliverySettings(BaseSettings):
    """Desk notifications, the outbox's retries and SMTP."""

    model_config = SettingsConfigDict(env_prefix="MADOGUCHI_", env_file=".env", extra="ignore",
                                      env_ignore_empty=True)

    desk_base_url: str = Field("http://127.0.0.1:8000",
                               description="Public address of the desk, for links in "
                                           "notifications.")
    desk_slack_channel: str | None = Field(None,
                                           description="Slack channel id told about each new escalation "
                                                       "(uses the Slack bot token).")
    desk_webhook_url: str | None = Field(None,
                                         description="URL that receives a JSON POST for each new escalation.")
    desk_webhook_secret: SecretStr | None = Field(None,
                                                  description="Signs webhook bodies (X-Madoguchi-Signature, "
                                                              "HMAC-SHA256).")
    outbox_max_attempts: int = Field(8, ge=1, le=50,
                                     description="Tries for a notification or reply before it is "
                                                 "marked undelivered.")
    outbox_first_delay_seconds: float = Field(2.0, gt=0, description="First retry delay; doubles each try "
                                                                     "(capped at 10 min).")
    outbox_lease_seconds: float = Field(30.0, gt=0,
                                        description="How long a worker owns a delivery before another "
                                                    "may retry it (a crashed worker's work resumes).")
    smtp_host: str | None = Field(None,
                                  description="SMTP server that sends agents' replies to residents who asked "
                                              "for e-mail; unset: no e-mail (the reply goes the way the "
                                              "question came).")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port (587 STARTTLS, 465 TLS, 25 plain).")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        "starttls",
        description="starttls: upgrade a plain connection; tls: TLS from the first byte (port 465); "
                    "none: plain text, only for a relay on the city's own network.")
    smtp_user: str | None = Field(None, description="SMTP user name, when the server asks for a sign-in.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password (never logged).")
    smtp_from: str | None = Field(None, description="From address of the replies, e.g. "
                                                    "'みなと市 お問い合わせ "
                                                    "<madoguchi@city.minato.example.jp>'.")
    smtp_ca_file: Path | None = Field(None, description="CA certificate(s) the SMTP server's certificate is "
                                                        "checked against (a city's own CA); "
                                                        "default: the system's.")
    smtp_timeout_seconds: float = Field(10.0, gt=0, le=120, description="Longest wait for the SMTP server.")

    @model_validator(mode="after")
    def _mail_has_a_sender(self) -> DeliverySettings:
        if self.smtp_host and not self.smtp_from:
            raise ValueError("MADOGUCHI_SMTP_HOST is set: set MADOGUCHI_SMTP_FROM, the address "
                             "replies come from")
        if self.smtp_user and self.smtp_password is None:
            raise ValueError("MADOGUCHI_SMTP_USER is set: set MADOGUCHI_SMTP_PASSWORD too")
        return self

    @property
    def mail_on(self) -> bool:
        """Whether replies can go by e-mail."""
        return bool(self.smtp_host)
