"""The one settings object. Every value can come from a `MADOGUCHI_`-prefixed environment variable."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent
SAMPLE_CITY = PACKAGE_DIR / "samples" / "minato"
MUNICIPAL_SYNONYMS = PACKAGE_DIR / "synonyms" / "municipal.txt"
BUILTIN_MODEL = "chive"


class Settings(BaseSettings):
    """Validated once at startup; a bad value stops the program with a message naming the variable."""

    model_config = SettingsConfigDict(env_prefix="MADOGUCHI_", env_file=".env", extra="ignore",
                                      env_ignore_empty=True)

    data_dir: Path = Field(default_factory=lambda: Path(user_data_dir("madoguchi", appauthor=False)),
                           description="Where indexes and built models live.")
    index_dir: Path | None = Field(None, description="Index directory; default DATA_DIR/index.")
    sources: list[Path] = Field(default_factory=lambda: [SAMPLE_CITY],
                                description="FAQ tables and documents to index; default the sample city.")
    model: str = Field(BUILTIN_MODEL, description="'chive' (built offline from ja-ginza) or a "
                                                  "sentence-transformers model directory.")
    query_prompt: str = Field("", description="Prefix for queries, e.g. '検索クエリ: ' for ruri-v3.")
    document_prompt: str = Field("", description="Prefix for documents, e.g. '検索文書: ' for ruri-v3.")
    split_mode: Literal["A", "B", "C"] = Field("A", description="Sudachi split mode for search terms.")
    synonym_files: list[Path] = Field(default_factory=lambda: [MUNICIPAL_SYNONYMS],
                                      description="Synonym files in Sudachi's synonym format.")
    keep_versions: int = Field(3, ge=1, description="How many old index versions to keep for rollback.")
    database_url: str | None = Field(None, description="SQLAlchemy URL of the conversation store; default "
                                                       "a SQLite file in DATA_DIR (postgresql+psycopg://… in production).")
    decision_model: Path | None = Field(None, description="Fusion/confidence model file from `madoguchi train`; "
                                                          "default: the one shipped, learned on the sample city.")
    answer_threshold: float | None = Field(None, ge=0, le=1, description="Answer when P(top 1 right) ≥ this; "
                                                                        "default from the decision model.")
    clarify_threshold: float | None = Field(None, ge=0, le=1, description="Offer choices when P(right one in "
                                                                          "top 3) ≥ this; default from the model.")
    channel_thresholds: dict[str, dict[str, float]] = Field(
        default_factory=dict, description='Per-channel overrides, e.g. {"line": {"answer": 0.9}}.')
    max_choices: int = Field(3, ge=2, le=5, description="Candidates offered in a clarify turn (2–5).")
    staff_first_margin: float = Field(1.0, ge=0, description="For staff, a staff record within this fused-score "
                                                             "margin of the best ranks first.")
    retention_days: int = Field(365, ge=1, description="Conversations untouched this long are deleted by "
                                                       "`madoguchi data purge`.")
    max_text_chars: int = Field(500, ge=10, le=10_000, description="Longest question the web API accepts.")
    max_body_bytes: int = Field(16_384, ge=1_024, description="Largest request body the web API accepts.")
    rate_per_session: int = Field(30, ge=1, description="Web API requests per session per minute.")
    rate_per_address: int = Field(120, ge=1, description="Web API requests per client address per minute.")
    host: str = Field("127.0.0.1", description="Address `madoguchi serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `madoguchi serve` listens on.")
    workers: int = Field(1, ge=1, le=32, description="Worker processes for `madoguchi serve`.")
    secret_key: SecretStr | None = Field(None, description="Key for hashing LINE/Slack user ids; default a "
                                                           "random key kept in DATA_DIR/secret.key.")
    line_channel_secret: SecretStr | None = Field(None, description="LINE channel secret (verifies webhooks).")
    line_channel_access_token: SecretStr | None = Field(None, description="LINE channel access token.")
    line_api_base: str = Field("https://api.line.me", description="LINE Messaging API base URL.")
    slack_bot_token: SecretStr | None = Field(None, description="Slack bot token (xoxb-…).")
    slack_signing_secret: SecretStr | None = Field(None, description="Slack signing secret (HTTP mode).")
    slack_app_token: SecretStr | None = Field(None, description="Slack app-level token (xapp-…) for Socket Mode.")
    slack_mode: Literal["http", "socket"] = Field("http", description="Slack transport: HTTP events or Socket Mode.")
    slack_api_base: str = Field("https://slack.com/api/", description="Slack Web API base URL.")
    slack_staff_teams: list[str] = Field(default_factory=list, description="Slack team ids whose members are staff.")
    city_name: str = Field("みなと市", description="Shown in greetings.")
    call_center_hours: str = Field("平日 8:30〜17:15（土日祝日・年末年始を除く）", description="Told on escalation.")
    call_center_contact: str = Field("市役所代表 電話 0123-45-1000", description="Told on escalation.")

    @field_validator("synonym_files")
    @classmethod
    def _synonym_files_exist(cls, files: list[Path]) -> list[Path]:
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise ValueError(f"synonym file(s) not found: {', '.join(missing)}")
        return files

    @property
    def resolved_index_dir(self) -> Path:
        """The index directory actually used."""
        return self.index_dir or self.data_dir / "index"

    @property
    def resolved_database_url(self) -> str:
        """The store actually used."""
        return self.database_url or f"sqlite:///{self.data_dir / 'madoguchi.db'}"

    @property
    def model_cache_dir(self) -> Path:
        """Where the built-in model is built on first use."""
        return self.data_dir / "models"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
