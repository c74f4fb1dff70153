"""Alembic environment for the conversation store; run through `bot.store.database.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from bot.store.tables import Base
from knowledge.core.errors import ConfigurationError

config = context.config


def run() -> None:
    """Apply migrations on the connection madoguchi passes in, or on the configured URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise ConfigurationError("alembic was given neither a connection nor sqlalchemy.url")
    engine = create_engine(url)
    with engine.connect() as fresh:
        context.configure(connection=fresh, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run()
