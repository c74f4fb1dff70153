"""The conversation stores tests run against: SQLite files and fresh schemas in the real PostgreSQL (a test
that needs PostgreSQL is skipped, or failed under CI, when no server listens: testing/services.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TypeVar

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from testing.services import POSTGRES, require

Row = TypeVar("Row")

STORES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.system)]  # every store a test runs against


def postgres_schema_url() -> Iterator[str]:
    """A fresh schema in the real PostgreSQL, dropped afterwards."""
    require("postgresql")
    schema = f"madoguchi_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="module", params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One conversation store per module: an SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('store') / 'madoguchi.db'}"
    else:
        yield from postgres_schema_url()


def rows(store_url: str, model: type[Row]) -> list[Row]:
    """Every stored row of one table, read behind the application's back."""
    engine = create_engine(store_url)
    with Session(engine) as session:
        found = list(session.scalars(select(model)))
    engine.dispose()
    return found


def refuse_questions_containing(url: str, word: str) -> None:
    """Make the database itself refuse turns whose question holds `word`, as it refuses a value it cannot
    store."""
    engine = create_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"ALTER TABLE turns ADD CONSTRAINT refuse_word CHECK (position('{word}' "
                                    "in question) = 0)"))
        else:
            connection.execute(text("CREATE TRIGGER refuse_word BEFORE INSERT ON turns WHEN "
                                    f"instr(NEW.question, '{word}') > 0 BEGIN SELECT RAISE(ABORT, "
                                    "'refused'); END"))
    engine.dispose()
