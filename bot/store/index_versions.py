"""The live index version kept in the database, so that every worker on every machine follows one pointer.

With PostgreSQL the database is the only state the API workers share. The index artifacts stay in the
index directory (one shared folder, or a copy on each machine); only the name of the live version and
the history of activations live here. A worker whose copy does not hold the named version yet keeps
serving the one it has and swaps once the copy arrives. An index built before its database kept the
pointer is still found: until the first activation here, the directory's CURRENT file is read.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, cast

from indexer.pointers import Activation, PointerFile
from indexer.store import IndexStore
from knowledge.core.errors import IndexNotFoundError, PointerUnavailableError
from knowledge.core.settings import Settings

if TYPE_CHECKING:  # SQLAlchemy loads only where the pointer is in the database: `ask` on a directory pointer
    from sqlalchemy import Connection, Table

BUILD_LOCK = 0x6D616469  # "madi": with the index name, the PostgreSQL advisory lock one build holds


class DatabasePointer:
    """The newest `index_activations` row of one index name is its live version."""

    def __init__(self, url: str, name: str, fallback: PointerFile) -> None:
        from bot.store.database import migrated_engine
        from bot.store.tables import IndexActivation

        self.name, self.fallback = name, fallback
        self.table = cast("Table", IndexActivation.__table__)  # a mapped class's table, typed as FromClause
        with self._reachable("prepared"):
            self.engine = migrated_engine(url)
        self.where = f"the database's index history ({name!r})"

    def read(self) -> str | None:
        """The newest activation's version, else what the directory's CURRENT says."""
        from sqlalchemy import select

        table = self.table
        query = select(table.c.version).where(table.c.index_name == self.name).order_by(
            table.c.id.desc()).limit(1)
        with self._reachable("read"), self.engine.connect() as connection:
            version = connection.execute(query).scalar()
        return version if version is not None else self.fallback.read()

    def write(self, change: Activation) -> None:
        """One committed row makes the version live for every worker that polls."""
        row = {"index_name": self.name, "version": change.version, "at": change.at, "by": change.by[:200],
               "note": change.note[:200]}
        with self._reachable("written"), self.engine.begin() as connection:
            connection.execute(self.table.insert().values(**row))

    def history(self, limit: int) -> list[Activation]:
        """The latest activations of this index, newest first."""
        from sqlalchemy import select

        table = self.table
        query = (select(table.c.version, table.c.at, table.c.by, table.c.note)
                 .where(table.c.index_name == self.name).order_by(table.c.id.desc()).limit(limit))
        with self._reachable("read"), self.engine.connect() as connection:
            return [Activation(*row) for row in connection.execute(query)]

    @contextmanager
    def _reachable(self, doing: str) -> Iterator[None]:
        """A database failure becomes PointerUnavailableError, naming what could not be done."""
        from sqlalchemy.exc import SQLAlchemyError

        try:
            yield
        except SQLAlchemyError as exc:
            raise PointerUnavailableError(f"the live index version cannot be {doing} in the database "
                                          f"({self.name!r}): {type(exc).__name__}") from exc


def index_store(settings: Settings) -> IndexStore:
    """The city's index directory with the pointer its settings choose (MADOGUCHI_INDEX_POINTER) and the
    origin versions travel through (MADOGUCHI_INDEX_ORIGIN)."""
    root = settings.resolved_index_dir
    origin = settings.index_origin / settings.index_name if settings.index_origin else None
    if not settings.pointer_in_database:
        return IndexStore(root, origin=origin)
    pointer = DatabasePointer(settings.resolved_database_url, settings.index_name, PointerFile(root))
    return IndexStore(root, pointer, origin)


def never_built(settings: Settings) -> bool:
    """True when no version was ever made live for this index (`madoguchi serve` then builds one); a
    version named but missing here (and in the origin) is an error to report, not a reason to rebuild."""
    try:
        index_store(settings).current_version()
    except IndexNotFoundError:
        return True
    return False


def take_build_lock(url: str, key: dict[str, int]) -> Connection:
    """A connection holding the build lock, waiting for another server's build to finish first."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from bot.store.database import migrated_engine
    from bot.store.timeouts import unbounded

    connection: Connection | None = None
    try:
        connection = migrated_engine(url).connect()
        unbounded(connection).execute(text("SELECT pg_advisory_lock(:kind, :name)"), key)
        connection.commit()
        return connection
    except SQLAlchemyError as exc:
        if connection is not None:
            connection.close()
        raise PointerUnavailableError(f"the index build lock cannot be taken in the database: "
                                      f"{type(exc).__name__}") from exc


@contextmanager
def one_build_everywhere(settings: Settings) -> Iterator[None]:
    """One build of this index at a time on every server, when PostgreSQL names its live version: two builds
    racing on two servers could otherwise make the older knowledge live last. The lock is PostgreSQL's, so
    it is released if the building process dies."""
    url = settings.resolved_database_url
    if not (settings.pointer_in_database and url.startswith("postgresql")):
        yield
        return
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    key = {"kind": BUILD_LOCK, "name": zlib.crc32(settings.index_name.encode()) - 2**31}  # two int4 keys
    connection = take_build_lock(url, key)
    try:
        yield
    finally:
        with suppress(SQLAlchemyError):  # a lost connection has released the lock already
            connection.execute(text("SELECT pg_advisory_unlock(:kind, :name)"), key)
            connection.commit()
        connection.close()
