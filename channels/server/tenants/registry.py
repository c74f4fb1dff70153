"""The cities a server hosts, kept in its database so that every worker on every machine reads one list.

`madoguchi tenants import FILE` checks a tenants file exactly as a server reading it would, and stores
it as a new revision; a file with a mistake is refused and the stored list stays as it was. Servers
read the newest revision when they start and follow later ones while they serve (`follow`). Older
revisions are kept: what changed, when and from where.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import SQLAlchemyError

from bot.store.database import migrated_engine
from bot.store.tables import TenantRevision
from channels.server.tenants.config import TenantsFile, read_tenants
from knowledge.core.errors import ConfigurationError, StoreUnavailableError
from knowledge.core.settings import Settings

TABLE = TenantRevision.__table__


@dataclass(frozen=True, slots=True)
class Revision:
    """One stored list of cities."""

    number: int
    at: datetime
    by: str
    source: str
    cities: TenantsFile


@contextmanager
def registry_engine(url: str) -> Iterator[Engine]:
    """The server database (migrated once per process, as servers look at it every few seconds), with
    failures named as the registry's."""
    try:
        yield migrated_engine(url)
    except SQLAlchemyError as exc:
        raise StoreUnavailableError(f"the tenant registry in the server database cannot be used "
                                    f"({type(exc).__name__})") from exc


def import_tenants(server: Settings, path: Path) -> Revision:
    """Check the file and store it as the newest revision (paths made absolute, as the file meant them)."""
    parsed = read_tenants(path)
    at, by = datetime.now().astimezone(), f"{socket.gethostname()} pid {os.getpid()}"
    source = os.path.abspath(path)[:1000]
    row = insert(TenantRevision).values(document=parsed.model_dump(mode="json"), at=at, by=by, source=source)
    with registry_engine(server.resolved_database_url) as engine, engine.begin() as connection:
        number = connection.execute(row.returning(TenantRevision.id)).scalar_one()
    return Revision(number, at, by, source, parsed)


def revisions(server: Settings, limit: int = 1) -> list[Revision]:
    """The newest stored lists, newest first."""
    query = select(TABLE.c.id, TABLE.c.at, TABLE.c.by, TABLE.c.source, TABLE.c.document)
    with registry_engine(server.resolved_database_url) as engine, engine.connect() as connection:
        rows = connection.execute(query.order_by(TABLE.c.id.desc()).limit(limit)).all()
    return [Revision(n, at, by, source, TenantsFile.model_validate(document))
            for n, at, by, source, document in rows]


def load_tenants(server: Settings) -> TenantsFile:
    """The cities this server hosts: from its tenants file, or the registry's newest revision."""
    if server.tenants_file is not None:
        return read_tenants(server.tenants_file)
    if not server.tenants_from_database:
        raise ConfigurationError("set MADOGUCHI_TENANTS_FILE, or MADOGUCHI_TENANTS_FROM_DATABASE after "
                                 "`madoguchi tenants import FILE`: this server hosts one city")
    newest = revisions(server)
    if not newest:
        raise ConfigurationError("the tenant registry in MADOGUCHI_DATABASE_URL is empty; store the cities "
                                 "with: madoguchi tenants import FILE")
    return newest[0].cities
