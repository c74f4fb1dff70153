"""A city's conversation store stops answering, then comes back, without touching any other store.

On PostgreSQL the city's schema is renamed away (the city's connections can no longer find its tables);
on SQLite its tables are. Either way every query of that city fails as in an outage, while the other
cities, which use other schemas or files, keep working.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from testing.database import POSTGRES

TABLES = ("conversations", "turns", "escalations")


def _renames(url: str, away: bool) -> tuple[str, list[str]]:
    if url.startswith("sqlite"):
        pairs = [(name, f"{name}_away") for name in TABLES]
        return url, [f"ALTER TABLE {a} RENAME TO {b}" if away else f"ALTER TABLE {b} RENAME TO {a}"
                     for a, b in pairs]
    found = re.search(r"search_path%3D(\w+)", url)
    assert found, url
    schema = found.group(1)
    first, second = (schema, f"{schema}_away") if away else (f"{schema}_away", schema)
    return POSTGRES, [f'ALTER SCHEMA "{first}" RENAME TO "{second}"']


def _run(url: str, away: bool) -> None:
    target, statements = _renames(url, away)
    engine = create_engine(target)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


@contextmanager
def unreachable(url: str) -> Iterator[None]:
    """The store at `url` fails every query inside the block and answers again after it."""
    _run(url, away=True)
    try:
        yield
    finally:
        _run(url, away=False)
