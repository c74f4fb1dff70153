"""The one settings object. Every value can come from a `MADOGUCHI_`-prefixed environment variable."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field, SecretStr, field_validator, model_validator

from knowledge.core.delivery_settings import DeliverySettings

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the knowledge package: samples and synonyms
SAMPLE_CITY = PACKAGE_DIR / "samples" / "minato"
MUNICIPAL_SYNONYMS = PACKAGE_DIR / "synonyms" / "municipal.txt"
BUILTIN_MODEL = "chive"


class Settings(DeliverySettings):
    """Validated once at startup; a bad value stops the program with a message naming the variable. What the
    city sends out (notifications, retries, e-mail) is declared in `DeliverySettings`; the names are flat."""

    data_dir: Path = Field(default_factory=lambda: Path(user_data_dir("madoguchi", appauthor=False)),
                           description="Where indexes and built models live.")
    index_dir: Path | None = Field(None, description="Index directory; default DATA_DIR/index.")
    city_dir: Path | None = Field(None,
                                  description="This city's own files (outage spool, generated secret.key); "
                                              "default DATA_DIR. A server of several cities uses "
                                              "DATA_DIR/cities/<id> for each city.")
    sources: list[Path] = Field(default_factory=lambda: [SAMPLE_CITY],
                                description="FAQ tables and documents to index; default the files the live "
                                            "index was built from, else the sample city.")
    model: str = Field(BUILTIN_MODEL, description="'chive' (built offline from ja-ginza) or a "
                                                  "sentence-transformers model directory, "
                                                  "e.g. the city's own from `madoguchi model untie`.")
    query_prompt: str = Field("", description="Prefix for queries, e.g. '検索クエリ: ' for ruri-v3.")
    document_prompt: str = Field("", description="Prefix for documents, e.g. '検索文書: ' for ruri-v3.")
    split_mode: Literal["A", "B", "C"] = Field("A", description="Sudachi split mode for search terms.")
    synonym_files: list[Path] = Field(default_factory=lambda: [MUNICIPAL_SYNONYMS],
                                      description="Synonym files in Sudachi's synonym format.")
    keep_versions: int = Field(3, ge=1, description="How many old index versions to keep for rollback.")
    database_url: str | None = Field(None, description="SQLAlchemy URL of the conversation store; default "
                                                       "a SQLite file in DATA_DIR (postgresql+psycopg://… "
                                                       "in production).")
    database_connect_timeout_seconds: float = Field(
        2.0, gt=0, le=60, description="Longest wait to open a database connection or check a pooled one "
                                      "(PostgreSQL waits at least 2 s to connect).")
    database_statement_timeout_seconds: float = Field(
        5.0, gt=0, le=600, description="Longest wait for one statement (SQLite: for a lock); a database that "
                                       "does not answer in time is treated as down: turns are spooled.")
    database_pool_timeout_seconds: float = Field(2.0, gt=0, le=60, description="Longest wait for a free "
                                                                                "connection from the pool.")
    decision_model: Path | None = Field(None,
                                        description="Fusion/confidence model file from `madoguchi train`; "
                                                    "default: the one shipped, learned on the sample city.")
    answer_threshold: float | None = Field(None, ge=0, le=1, description="Answer when P(top 1 right) ≥ this; "
                                                                        "default from the decision model.")
    clarify_threshold: float | None = Field(None, ge=0, le=1, description="Offer choices when P(right one in "
                                                                          "top 3) ≥ this; default "
                                                                          "from the model.")
    channel_thresholds: dict[str, dict[str, float]] = Field(
        default_factory=dict, description='Per-channel overrides, e.g. {"line": {"answer": 0.9}}.')
    max_choices: int = Field(3, ge=2, le=5, description="Most candidates a clarify turn offers (2–5).")
    staff_first_margin: float = Field(1.0, ge=0,
                                      description="For staff, a staff record within this fused-score "
                                                  "margin of the best ranks first.")
    retention_days: int = Field(365, ge=1, description="Conversations untouched this long are deleted by "
                                                       "`madoguchi data purge`.")
    max_text_chars: int = Field(500, ge=10, le=10_000, description="Longest question the web API accepts.")
    max_body_bytes: int = Field(16_384, ge=1_024, description="Largest request body the web API accepts.")
    webhook_max_body_bytes: int = Field(262_144, ge=16_384,
                                        description="Largest body of a LINE or Slack webhook: LINE sends "
                                        "several 5,000-character messages in one request.")
    rate_per_session: int = Field(30, ge=1, description="Web API requests per session per minute.")
    rate_per_address: int = Field(120, ge=1, description="Web API requests per client address per minute.")
    rate_per_chat_user: int = Field(20, ge=1, description="LINE/Slack messages per user per minute.")
    redis_url: SecretStr | None = Field(None, description="redis://… to share rate limits and the last offer "
                                                          "of choices across workers; unset: each worker "
                                                          "alone, in memory.")
    redis_prefix: str = Field("madoguchi:", min_length=1, description="Prefix of every Redis key, so several "
                                                                      "installations can share one Redis.")
    index_poll_seconds: float = Field(2.0, ge=0, description="How often each web worker looks for a newly "
                                                             "published index version; 0: no hot reload.")
    widget_origins: list[str] = Field(default_factory=list,
                                      description="City web sites (e.g. https://www.city.example.jp) "
                                                  "whose pages embed the widget and may call the API.")
    frame_ancestors: str = Field("'self'", pattern=r"^[^;,\r\n]+$",
                                 description="CSP frame-ancestors: city origins allowed to frame our pages.")
    trusted_proxies: list[str] = Field(
        default_factory=list, description="Addresses or networks of the city's reverse proxies whose "
                                          "X-Forwarded-For/-Proto are believed (rate limits, HSTS); "
                                          "empty: the connecting address is the client's.")
    hsts: bool = Field(True, description="Send Strict-Transport-Security on requests that came over TLS.")
    host: str = Field("127.0.0.1", description="Address `madoguchi serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `madoguchi serve` listens on.")
    workers: int = Field(1, ge=1, le=32, description="Worker processes for `madoguchi serve`.")
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="What `madoguchi serve` writes to stderr: the index version each city serves, "
                            "publishes and outages (info), or only problems (warning). Never a resident's "
                            "question, a secret, or a line per request.")
    request_header_timeout_seconds: float = Field(20.0, gt=0, le=600, description="`madoguchi serve`: a "
                                                  "request's headers must arrive within this (else 408).")
    request_body_timeout_seconds: float = Field(120.0, gt=0, le=3600, description="`madoguchi serve`: a "
                                                "request's body must arrive within this after its headers.")
    secret_key: SecretStr | None = Field(None, description="Key for hashing LINE/Slack user ids; default a "
                                                           "random key kept in DATA_DIR/secret.key.")
    line_channel_secret: SecretStr | None = Field(None,
                                                  description="LINE channel secret (verifies webhooks).")
    line_channel_access_token: SecretStr | None = Field(None, description="LINE channel access token.")
    line_api_base: str = Field("https://api.line.me", description="LINE Messaging API base URL.")
    slack_bot_token: SecretStr | None = Field(None, description="Slack bot token (xoxb-…).")
    slack_signing_secret: SecretStr | None = Field(None, description="Slack signing secret (HTTP mode).")
    slack_app_token: SecretStr | None = Field(None,
                                              description="Slack app-level token (xapp-…) for Socket Mode.")
    slack_mode: Literal["http", "socket"] = Field("http",
                                                  description="Slack transport: HTTP events or Socket Mode.")
    slack_api_base: str = Field("https://slack.com/api/", description="Slack Web API base URL.")
    slack_staff_teams: list[str] = Field(default_factory=list,
                                         description="Slack team ids whose members are staff.")
    desk_session_hours: float = Field(8.0, gt=0, le=24 * 30, description="How long a desk sign-in lasts.")
    desk_max_failed_logins: int = Field(5, ge=1, description="Wrong passwords in a row before a desk account "
                                                             "is locked.")
    desk_lockout_minutes: float = Field(15.0, gt=0,
                                        description="How long a locked desk account stays locked.")
    desk_login_rate_per_address: int = Field(20, ge=1, description="Desk sign-in attempts per client address "
                                                                   "per minute.")
    desk_max_body_bytes: int = Field(10_000_000, ge=16_384,
                                     description="Largest request body on /desk/ pages "
                                     "(long answers, spreadsheet uploads); the API keeps MAX_BODY_BYTES.")
    desk_staff_roles: list[Literal["agent", "editor", "admin"]] = Field(
        ["editor", "admin"],  # pydantic copies a list default for each Settings
        description="Desk roles whose search (/desk/search) shows staff-only entries, with a "
                    "「職員向け」 badge; others search as residents do (a contracted call center's "
                    "agents, by default).")
    city_name: str = Field("みなと市", description="Shown in greetings.")
    furigana_readings_file: Path | None = Field(SAMPLE_CITY / "furigana.tsv",
                                                description="The city's own readings for furigana "
                                                            "(place names): 'word<TAB>reading' lines; "
                                                            "default the sample city's.")
    call_center_hours: str = Field("平日 8:30〜17:15（土日祝日・年末年始を除く）",
                                   description="Told on escalation.")
    call_center_contact: str = Field("市役所代表 電話 0123-45-1000", description="Told on escalation.")
    urgent_file: Path | None = Field(None,
                                     description="YAML of this city's urgent situations (lines to call), "
                                                 "added to the national default and to an urgent.yaml at the "
                                                 "top of a source folder.")
    multilingual_help: str = Field(
        "International Exchange Office (国際交流室), city hall 1F, tel 0123-45-1050（平日 "
        "9:00〜17:00、英語・中国語・ベトナム語）",
        description="Told, in the resident's language, under an answer that exists only in Japanese.")
    minutes_per_inquiry: float = Field(5.0, gt=0, le=240, description="Staff minutes one answered question "
                                                                      "would have taken by phone "
                                                                      "(the dashboard's hours-saved "
                                                                      "estimate; an assumption).")
    draft_model_url: str | None = Field(None,
                                        description="OpenAI-compatible base URL (…/v1) of a chat model on "
                                                    "the city's network; unset: no drafting, agents see "
                                                    "the cited passages.")
    draft_model_name: str = Field("local", description="Model name sent to that server.")
    draft_api_key: SecretStr | None = Field(None, description="API key for that server, if it needs one.")
    draft_timeout_seconds: float = Field(20.0, gt=0, le=300,
                                         description="How long an agent waits for a draft "
                                                     "before seeing the cited passages.")
    grounded_answers: bool = Field(False, description="Compose short answers from manual passages with the "
                                                      "drafting model, every sentence checked (FAQs never).")
    index_pointer: Literal["auto", "directory", "database"] = Field(
        "auto",
        description="Where the live index version is named: 'database' (every worker on every machine "
                    "follows the database), 'directory' (the index directory's CURRENT file); 'auto' is "
                    "'database' with PostgreSQL and 'directory' otherwise.")
    index_name: str = Field("main", pattern=r"^[a-z0-9][a-z0-9-]{0,63}$",
                            description="This index's name in the database's version history (cities sharing "
                                        "one database keep apart; a tenant's is its id).")
    tenants_poll_seconds: float = Field(10.0, ge=0, description="How often a server reading the tenant "
                                                                "registry looks for a new list of "
                                                                "cities; 0: only at start.")
    index_origin: Path | None = Field(None,
                                      description="A folder every server can read (network share, mounted "
                                                  "bucket): builds copy each version to <origin>/<index "
                                                  "name>/, servers fetch the live version from there.")
    tenants_file: Path | None = Field(None, description="YAML file of the cities this server hosts (a shared "
                                                        "FAQ layer plus each city's own); unset: one city.")
    tenants_from_database: bool = Field(False, description="Read the cities from the tenant registry in "
                                                           "DATABASE_URL (written by `madoguchi "
                                                           "tenants import`), so every worker on every "
                                                           "machine shares one list.")

    @field_validator("synonym_files")
    @classmethod
    def _synonym_files_exist(cls, files: list[Path]) -> list[Path]:
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise ValueError(f"synonym file(s) not found: {', '.join(missing)}")
        return files

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, url: SecretStr | None) -> SecretStr | None:
        """A wrong scheme failed in every worker as it started, after the server said it was up."""
        if url is not None and not url.get_secret_value().startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("MADOGUCHI_REDIS_URL must start with redis://, rediss:// or unix://")
        return url

    @model_validator(mode="after")
    def _one_list_of_cities(self) -> Settings:
        if self.tenants_file is not None and self.tenants_from_database:
            raise ValueError("set MADOGUCHI_TENANTS_FILE or MADOGUCHI_TENANTS_FROM_DATABASE, not both")
        return self

    @property
    def many_cities(self) -> bool:
        """Whether this server hosts several cities (a tenants file or the registry) rather than one."""
        return self.tenants_file is not None or self.tenants_from_database

    @property
    def resolved_index_dir(self) -> Path:
        """The index directory actually used."""
        return self.index_dir or self.data_dir / "index"

    def city_sources(self, built_from: Sequence[str] = ()) -> list[Path]:
        """The files a build reads when none are named: MADOGUCHI_SOURCES when set; else those the live index
        version was built from (its manifest's `built_from`), so a city that built with `madoguchi index
        build FILES…` keeps its own files when the desk publishes or a table is imported; else the sample
        city (the first start)."""
        if "sources" in self.model_fields_set or not built_from:
            return self.sources
        return [Path(p) for p in built_from]

    @property
    def resolved_city_dir(self) -> Path:
        """Where this city's own files live: never shared with another city of the same server."""
        return self.city_dir or self.data_dir

    @property
    def resolved_database_url(self) -> str:
        """The store actually used."""
        return self.database_url or f"sqlite:///{self.data_dir / 'madoguchi.db'}"

    @property
    def pointer_in_database(self) -> bool:
        """Whether the live index version is kept in the database rather than the index directory."""
        if self.index_pointer == "auto":
            return self.resolved_database_url.startswith("postgresql")
        return self.index_pointer == "database"

    @property
    def model_cache_dir(self) -> Path:
        """Where the built-in model is built on first use."""
        return self.data_dir / "models"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
