"""`madoguchi data backup --out DIR`: one consistent copy of what a city cannot rebuild from its files.

The conversation store (conversations, hand-overs, the desk's FAQ versions, labels and accounts), the
outage spool, the generated `secret.key` (without it, stored reply routes and user hashes cannot be read),
and the live index version (it holds what `madoguchi learn` taught). SQLite files are copied with SQLite's
online backup, so the pages still in the `-wal` file come along: a plain `cp` of a running store's `.db`
file can be empty. A PostgreSQL store is backed up with `pg_dump`; the command says so and copies the rest.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from channels.cli.render import out
from channels.cli.settings import settings_with
from knowledge.core.errors import ConfigurationError

if TYPE_CHECKING:
    from knowledge.core.settings import Settings

OutDir = Annotated[Path, typer.Option("--out", help="A new or empty folder for the backup.")]


def sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup into a new owner-only file (the store holds residents' data)."""
    from bot.store.database import private_file

    private_file(target)
    with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(target)) as copy:
        live.backup(copy)


def store_copy(settings: Settings, folder: Path) -> str:
    """The store into `folder`, or the pg_dump line for a PostgreSQL store (its password never printed)."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() != "sqlite":
        shown = url.set(drivername="postgresql").render_as_string(hide_password=True)
        return f"store: PostgreSQL, not copied: back it up with  pg_dump -Fc '{shown}' > madoguchi.dump"
    if not url.database or not Path(url.database).is_file():
        raise ConfigurationError(f"no conversation store at {url.database}: nothing to back up")
    sqlite_copy(Path(url.database), folder / Path(url.database).name)
    return f"store: {folder / Path(url.database).name}"


def city_files(settings: Settings, folder: Path) -> list[str]:
    """The spool (online backup) and the generated key, when this city has them. On a server of several
    cities each keeps its own in DATA_DIR/cities/<id>: backed up without MADOGUCHI_CITY_DIR, a city got the
    server's key, which none of its cities uses, and after a restore its reply routes could not be read."""
    from bot.store.spool import SPOOL_FILE

    if settings.city_dir is None and (settings.data_dir / "cities").is_dir():
        cities = settings.data_dir / "cities"
        raise ConfigurationError(f"{cities} holds the cities of a server of several: set "
                                 f"MADOGUCHI_CITY_DIR={cities}/<city id> for the city to back up")
    done = []
    spool, key = settings.resolved_city_dir / SPOOL_FILE, settings.resolved_city_dir / "secret.key"
    if spool.is_file():
        sqlite_copy(spool, folder / SPOOL_FILE)
        done.append(f"spool: {folder / SPOOL_FILE}")
    if key.is_file() and settings.secret_key is None:
        shutil.copy2(key, folder / key.name)
        done.append(f"key: {folder / key.name}")
    return done


def index_copy(settings: Settings, folder: Path) -> str:
    """The live version, a pointer naming it and the history of activations (`index history`: who put which
    version live and why): an index directory `madoguchi serve` can use as it is."""
    from bot.store.index_versions import index_store
    from indexer.pointers import CURRENT, HISTORY

    store = index_store(settings)
    live = store.current_version()
    shutil.copytree(store.versions / live, folder / "index" / "versions" / live)
    (folder / "index" / CURRENT).write_text(live + "\n", encoding="utf-8")
    if (store.root / HISTORY).is_file():
        shutil.copy2(store.root / HISTORY, folder / "index" / HISTORY)
    return f"index: {folder / 'index'} (live version {live})"


def backup(out_dir: OutDir) -> None:
    """Copy the conversation store, the spool, the generated key and the live index into a new folder,
    while the server keeps running. Restore: stop the server, put each file back where the settings point
    (README: バックアップと復元)."""
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ConfigurationError(f"{out_dir} is not empty: back up into a new folder")
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings = settings_with(None)
    copied = [store_copy(settings, out_dir), *city_files(settings, out_dir), index_copy(settings, out_dir)]
    for line in copied:
        out.print(line, highlight=False)


def register(data_app: typer.Typer) -> None:
    """Add `backup` to `madoguchi data`."""
    data_app.command("backup")(backup)
