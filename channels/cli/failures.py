"""What a command that failed tells the city's IT staff: a line on stderr and an exit code, never a traceback
(a bug keeps its traceback: that is for a developer).

A database that cannot be reached (PostgreSQL stopped, a wrong host or port in MADOGUCHI_DATABASE_URL, an
SQLite file in a folder that does not exist) is named with the first line of the driver's reason: the host
and port and what happened. The web API never shows residents that reason; the person at the console needs it.
"""

from __future__ import annotations

import re
import sys

from knowledge.core.errors import MadoguchiError

DATABASE_HINT = "is the database running, and is MADOGUCHI_DATABASE_URL right?"
MISSING_SCHEMA = "3F000"  # PostgreSQL: the search_path names no schema that exists
SCHEMA_HINT = ("the schema that MADOGUCHI_DATABASE_URL's search_path names does not exist in PostgreSQL; "
               "create it first (CREATE SCHEMA <name>;)")


def database_reason(error: BaseException) -> str | None:
    """The driver's first line when a database could not be reached or dropped the connection, anywhere in
    the error's causes; None for every other error (whose text may quote a statement's values)."""
    if "sqlalchemy" not in sys.modules:  # nothing touched a database
        return None
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, DBAPIError) and getattr(seen.orig, "sqlstate", None) == MISSING_SCHEMA:
            return SCHEMA_HINT
        if isinstance(seen, OperationalError | InterfaceError):
            lines = str(seen.orig).strip().splitlines()
            return lines[0] if lines else type(seen.orig).__name__
        seen = seen.__cause__
    return None


def setting_name(location: tuple[int | str, ...]) -> str:
    """The environment variable a settings problem is about."""
    return "MADOGUCHI_" + "_".join(str(part) for part in location).upper()


def explained(error: Exception) -> tuple[list[tuple[str, str]], int] | None:
    """(label, text) lines and the exit code for an error a command meets in the field; None for a bug,
    whose traceback is what a developer needs."""
    reason = database_reason(error)
    if isinstance(error, MadoguchiError):
        return [("error", f"{error}: {reason}" if reason else str(error))], error.exit_code
    if reason == SCHEMA_HINT:
        return [("error", f"the database cannot be used: {reason}")], 1
    if reason is not None:
        return [("error", f"the database cannot be reached ({reason}); {DATABASE_HINT}")], 1
    from pydantic import ValidationError  # loaded with the settings; `--help` needs neither

    if isinstance(error, ValidationError):
        return [("configuration error", f"{setting_name(problem['loc'])}: {problem['msg']}"
                 if problem["loc"] else problem["msg"]) for problem in error.errors()], 2
    if (unparsed := unparsed_setting(error)) is not None:
        form = 'must be JSON, a list such as ["a", "b"] or an object such as {"key": "value"}'
        return [("configuration error", f"{setting_name((unparsed,))}: {form}")], 2
    if isinstance(error, OSError) and error.filename:
        return [("error", f"{error.filename}: {error.strerror or error}")], 1
    return None


def unparsed_setting(error: Exception) -> str | None:
    """The field of a list or mapping setting that is not JSON (pydantic-settings parses those before it
    validates, and says which field only in its message)."""
    if "pydantic_settings" not in sys.modules:
        return None
    from pydantic_settings import SettingsError

    found = re.search(r'field "(\w+)"', str(error)) if isinstance(error, SettingsError) else None
    return found.group(1) if found else None
