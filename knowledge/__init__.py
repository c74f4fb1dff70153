"""madoguchi's knowledge base: FAQ tables, manuals and internal rules as records.

Also home of what every other package shares: the settings object and the exception tree.
The names below are loaded on first use: reading documents needs HTML, Markdown and PDF parsers, which a
command that only needs the settings or an enum (or `madoguchi --help`) should not pay for.
"""

from importlib import import_module
from typing import Any

_HOMES = {"MadoguchiError": "knowledge.core.errors", "Audience": "knowledge.records",
          "LoadResult": "knowledge.records",
          "Problem": "knowledge.records", "Record": "knowledge.records",
          "Settings": "knowledge.core.settings",
          "get_settings": "knowledge.core.settings", "load_sources": "knowledge.sources"}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    """`from knowledge import Settings` imports knowledge.core.settings then, and only then."""
    if name not in _HOMES:
        raise AttributeError(f"module 'knowledge' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
