"""The tenants file: which cities one server hosts, and each city's own settings.

Every city gets a complete `Settings` of its own (sources, index, database, name, secrets), made from
the server's settings with the city's values on top, so the rest of madoguchi never needs to know
that tenants exist. Only per-city settings may be overridden: the embedding model and the tokenizer
are loaded once per process and shared by every city, so they belong to the server.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from knowledge.core.errors import ConfigurationError
from knowledge.core.settings import Settings

SLUG = r"^[a-z0-9][a-z0-9-]{0,39}$"
HOST = r"^[a-z0-9.-]+$"
PER_CITY = frozenset({
    "call_center_hours", "call_center_contact", "answer_threshold", "clarify_threshold", "channel_thresholds",
    "max_choices", "staff_first_margin", "decision_model", "retention_days", "minutes_per_inquiry",
    "widget_origins", "frame_ancestors", "secret_key", "line_channel_secret", "line_channel_access_token",
    "slack_bot_token", "slack_signing_secret", "slack_app_token", "slack_staff_teams", "desk_base_url",
    "desk_slack_channel", "desk_webhook_url", "desk_webhook_secret", "grounded_answers", "keep_versions",
    "furigana_readings_file",
    "smtp_host", "smtp_port", "smtp_security", "smtp_user", "smtp_password", "smtp_from", "smtp_ca_file",
    "smtp_timeout_seconds"})


class Theme(BaseModel):
    """How the city's chat widget looks on its demo page and in the tag `tenants list` prints."""

    model_config = ConfigDict(extra="forbid")
    color: str = Field("#1a5fb4", pattern=r"^#[0-9a-fA-F]{6}$")
    title: str = Field("お問い合わせチャット", min_length=1, max_length=40)


class Tenant(BaseModel):
    """One city as written in the tenants file (paths relative to the file)."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=SLUG)
    city_name: str = Field(min_length=1)
    hosts: list[str] = Field(min_length=1)
    sources: list[Path] = Field(min_length=1)
    index_dir: Path
    database_url: str = Field(min_length=1)
    theme: Theme = Field(default_factory=Theme)
    settings: dict[str, Any] = Field(default_factory=dict)


class TenantsFile(BaseModel):
    """The whole file: a shared layer answered for every city, and the cities."""

    model_config = ConfigDict(extra="forbid")
    shared_sources: list[Path] = Field(default_factory=list)
    tenants: list[Tenant] = Field(min_length=1)


def _where(data: dict[str, Any], location: tuple[Any, ...]) -> str:
    """'tenant "b" field theme.color' from pydantic's ('tenants', 1, 'theme', 'color')."""
    if len(location) >= 2 and location[0] == "tenants" and isinstance(location[1], int):
        tenants = data.get("tenants") or []
        entry = tenants[location[1]] if location[1] < len(tenants) else {}
        name = entry.get("id", f"#{location[1] + 1}") if isinstance(entry, dict) else f"#{location[1] + 1}"
        return f'tenant "{name}" field {".".join(map(str, location[2:])) or "(the entry)"}'
    return f"field {'.'.join(map(str, location))}"


def _parse(path: Path) -> TenantsFile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"tenants file {path}: cannot be read ({exc})") from exc
    if not isinstance(data, dict):
        raise ConfigurationError(f"tenants file {path}: expected a mapping with 'tenants'")
    try:
        return TenantsFile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{_where(data, e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(f"tenants file {path}: {problems}") from exc


def _check_unique(parsed: TenantsFile, path: Path) -> None:
    """Two cities with one id or one host name would answer each other's residents."""
    seen_ids: set[str] = set()
    seen_hosts: dict[str, str] = {}
    for tenant in parsed.tenants:
        if tenant.id in seen_ids:
            raise ConfigurationError(f'tenants file {path}: tenant "{tenant.id}" field id: used twice')
        seen_ids.add(tenant.id)
        for host in tenant.hosts:
            if not re.match(HOST, host) or host in seen_hosts:
                owner = (f'also used by tenant "{seen_hosts[host]}"' if host in seen_hosts
                         else "not a host name")
                raise ConfigurationError(f'tenants file {path}: tenant "{tenant.id}" field hosts: {host!r} '
                                         f'{owner}')
            seen_hosts[host] = tenant.id


def _check_overrides(parsed: TenantsFile, path: Path) -> None:
    for tenant in parsed.tenants:
        for name in tenant.settings:
            if name not in PER_CITY:
                why = "shared by every city on this server" if name in Settings.model_fields else "unknown"
                raise ConfigurationError(f'tenants file {path}: tenant "{tenant.id}" field settings.{name}: '
                                         f"{why} (per-city settings: {', '.join(sorted(PER_CITY))})")


def _relative_to(folder: Path, parsed: TenantsFile) -> TenantsFile:
    """Paths in the file are relative to the file, so the same file works from any working directory."""
    parsed.shared_sources = [folder / p for p in parsed.shared_sources]
    for tenant in parsed.tenants:
        tenant.sources = [folder / p for p in tenant.sources]
        tenant.index_dir = folder / tenant.index_dir
    return parsed


def read_tenants(path: Path) -> TenantsFile:
    """The validated tenants file; any mistake is a ConfigurationError naming the tenant and the field."""
    parsed = _parse(path)
    _check_unique(parsed, path)
    _check_overrides(parsed, path)
    return _relative_to(path.resolve().parent, parsed)


def tenant_settings(server: Settings, shared_sources: list[Path], tenant: Tenant) -> Settings:
    """The city's complete settings. Its own files come before the shared layer, so that when both hold
    an id the city's record is kept (the loader keeps the first of an id) and the shared one is dropped."""
    values: dict[str, Any] = {**server.model_dump(), "tenants_file": None, "tenants_from_database": False,
                              "city_name": tenant.city_name, "sources": [*tenant.sources, *shared_sources],
                              "index_dir": tenant.index_dir, "database_url": tenant.database_url,
                              "city_dir": server.data_dir / "cities" / tenant.id,
                              "index_name": tenant.id, "redis_prefix": f"{server.redis_prefix}{tenant.id}:",
                              "desk_base_url": f"https://{tenant.hosts[0]}"}
    try:
        return Settings(**{**values, **tenant.settings})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(f'tenant "{tenant.id}" field settings.{problems}') from exc
