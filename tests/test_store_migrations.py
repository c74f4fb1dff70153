"""Every worker migrates the store when it starts; a database already at the newest migration is only read, so
alembic and the migration scripts stay out of the workers, while an older database is still brought up to
date."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from bot.store.database import MIGRATIONS, make_engine, migrate, newest_migration


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def revision_of(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


def test_the_newest_migration_read_from_the_files_is_alembics_head() -> None:
    assert newest_migration() == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_a_database_at_the_newest_migration_is_not_handed_to_alembic_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    upgrades: list[str] = []
    real_upgrade = command.upgrade
    monkeypatch.setattr(command, "upgrade",
                        lambda config, to: (upgrades.append(to), real_upgrade(config, to)))
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        migrate(engine)
        migrate(engine)
        assert upgrades == ["head"], "the second start found the schema up to date"
        assert revision_of(engine) == [newest_migration()]
    finally:
        engine.dispose()


def test_a_database_one_migration_behind_is_still_brought_up_to_date(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "0011")
        assert "reply_via" not in {c["name"] for c in inspect(engine).get_columns("escalations")}
        migrate(engine)
        assert revision_of(engine) == [newest_migration()]
        assert "reply_via" in {c["name"] for c in inspect(engine).get_columns("escalations")}
    finally:
        engine.dispose()
