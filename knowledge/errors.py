"""madoguchi's one exception tree.

    MadoguchiError
    ├── ConfigurationError      settings that cannot work (bad path, unknown model)
    ├── SourceError             a knowledge file that cannot be read at all
    ├── ProblemsFoundError      --strict and at least one row or page had a problem
    ├── ModelError              an embedding model that cannot be built or loaded
    └── IndexStoreError
        ├── IndexNotFoundError  no index has been built in that directory yet
        ├── IncompatibleIndexError  built with another model or tokenizer: rebuild
        └── CorruptIndexError   files missing or unreadable

Channels convert these at their boundary (CLI exit codes, HTTP 4xx/5xx); nothing else
should be raised to a user.
"""

from __future__ import annotations


class MadoguchiError(Exception):
    """Root of every error madoguchi raises on purpose."""

    exit_code = 1


class ConfigurationError(MadoguchiError):
    """A setting is invalid or points at something that is not there."""

    exit_code = 2


class SourceError(MadoguchiError):
    """A knowledge source cannot be read at all (missing, unreadable, unknown format)."""


class ProblemsFoundError(MadoguchiError):
    """Strict loading was asked for and the sources had problems."""


class ModelError(MadoguchiError):
    """The embedding model cannot be built or loaded."""


class IndexStoreError(MadoguchiError):
    """Base for everything that goes wrong with an index directory."""


class IndexNotFoundError(IndexStoreError):
    """No index has been built in the directory yet."""


class IncompatibleIndexError(IndexStoreError):
    """The index was built with another model or tokenizer than the settings name."""


class CorruptIndexError(IndexStoreError):
    """Index files are missing or unreadable."""
