"""madoguchi's one exception tree.

    MadoguchiError
    ├── ConfigurationError      settings that cannot work (bad path, unknown model)
    ├── SourceError             a knowledge file that cannot be read at all
    ├── ProblemsFoundError      --strict and at least one row or page had a problem
    ├── ModelError              an embedding model that cannot be built or loaded
    ├── IndexStoreError
    │   ├── IndexNotFoundError  no index has been built in that directory yet
    │   ├── IncompatibleIndexError  built with another model or tokenizer: rebuild
    │   ├── CorruptIndexError   files missing or unreadable
    │   └── PointerUnavailableError  the database that names the live version cannot be reached
    ├── StoreUnavailableError   the conversation database cannot be reached (HTTP 503): spool, answer
    ├── StoreRefusedError       it answered but refused the write (422 for a value, else 500): never spooled
    └── RequestError            a caller's mistake (HTTP 400)
        ├── InvalidFieldError   one named field cannot be stored: a link not http/https/tel/mailto, text
        │                       too long
        ├── NotFoundError       no such conversation, turn or escalation (HTTP 404)
        ├── ConflictError       not possible in the conversation's state, e.g. a choice never offered (409)
        ├── RateLimitedError    too many requests (HTTP 429)
        ├── UnauthorizedError   not signed in to the desk, or the sign-in failed (HTTP 401)
        └── ForbiddenError      signed in, but not allowed: wrong role, missing CSRF token (HTTP 403)

Channels convert these at their boundary (CLI exit codes, HTTP statuses from `status`); nothing
else should be raised to a user.
"""

from __future__ import annotations


class MadoguchiError(Exception):
    """Root of every error madoguchi raises on purpose."""

    exit_code = 1
    status = 500


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
    """The index was built with another model or tokenizer than the settings name. `problem` is kept apart
    from the rebuild command: a server of many cities names its own command for the city."""

    def __init__(self, problem: str, rebuild: str = "") -> None:
        super().__init__(f"{problem}; rebuild it: {rebuild}" if rebuild else problem)
        self.problem = problem


class CorruptIndexError(IndexStoreError):
    """Index files are missing or unreadable."""


class PointerUnavailableError(IndexStoreError):
    """The database that names the live index version cannot be reached; a serving worker keeps its index."""

    status = 503


class StoreUnavailableError(MadoguchiError):
    """The conversation database cannot be reached."""

    status = 503


class StoreRefusedError(MadoguchiError):
    """The database answered but refused this write (a value too long, a broken reference). Not an outage:
    keeping it to try again cannot help, so nobody may be told it was received. 422 when a value of the
    request cannot be stored, 500 when the store's own rules refused it."""

    def __init__(self, message: str, status: int = 500) -> None:
        super().__init__(message)
        self.status = status


class RequestError(MadoguchiError):
    """The request cannot be served as sent; the message says why."""

    status = 400


class InvalidFieldError(RequestError):
    """One field of an entry cannot be stored as given; `field` names it so an import reports file, row and
    field."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(RequestError):
    """The conversation, turn or escalation named does not exist."""

    status = 404


class ConflictError(RequestError):
    """The request does not fit the conversation's state (a choice that was never offered)."""

    status = 409


class RateLimitedError(RequestError):
    """Too many requests from one session or address; `retry_after` says in how many seconds to try again."""

    status = 429

    def __init__(self, message: str, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


class UnauthorizedError(RequestError):
    """Not signed in to the desk (or the sign-in failed); the desk answers with its login page."""

    status = 401


class ForbiddenError(RequestError):
    """Signed in but not allowed: a role too low for the page, or a form without its CSRF token."""

    status = 403
