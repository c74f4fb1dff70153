"""The settings every `madoguchi` command starts from: its own module, so command modules need not import
the command line that assembles them."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:  # pydantic-settings loads when a command runs, not for `madoguchi --help`
    from knowledge.core.settings import Settings

# A worker answers uvicorn's health pings only once its imports release the interpreter; on a busy small
# server that took over 5 s (uvicorn's default), and the workers were killed and restarted for ever.
WORKER_START_SECONDS = 120
IndexDir = Annotated[Path | None,
                     typer.Option("--index-dir", help="Index directory (default: MADOGUCHI_INDEX_DIR, else "
                                                      "DATA_DIR/index).")]


def into_existing_folder(path: Path | None) -> Path | None:
    """An --out file whose folder exists: checked before the work, so a batch never ends without its
    output."""
    if path is not None and not path.resolve().parent.is_dir():
        raise typer.BadParameter(f"the folder {path.resolve().parent} does not exist")
    return path


def settings_with(index_dir: Path | None) -> Settings:
    """Settings from the environment, with command-line options on top. The live version the database names
    belongs to MADOGUCHI_INDEX_DIR: an --index-dir naming another folder (a trial build before publishing)
    keeps its own pointer, or a trial would become the city's live index on every server."""
    from knowledge.core.settings import Settings

    configured = Settings()
    if not index_dir:
        return configured
    if another_folder_than_configured(configured, index_dir):
        return folder_of_its_own(index_dir)
    return Settings(index_dir=index_dir)


def another_folder_than_configured(configured: Settings, index_dir: Path) -> bool:
    """Whether --index-dir names a folder other than the MADOGUCHI_INDEX_DIR whose live version the database
    names for every server; without MADOGUCHI_INDEX_DIR, --index-dir is how the city names that folder."""
    return (configured.pointer_in_database and configured.index_dir is not None
            and configured.index_dir.resolve() != index_dir.resolve())


def folder_of_its_own(index_dir: Path) -> Settings:
    """A folder outside the servers' pointer: named by its own CURRENT file and kept out of the origin the
    servers fetch from, said once so that nobody takes a trial build for a publish."""
    from channels.cli.render import err
    from indexer.pointers import CURRENT
    from knowledge.core.settings import Settings

    err.print(f"{index_dir} is not MADOGUCHI_INDEX_DIR: its live version is named by {index_dir / CURRENT} "
              "only; the live version the servers follow in the database is left as it is", highlight=False)
    return Settings(index_dir=index_dir, index_pointer="directory", index_origin=None)


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging, and madoguchi's own lines (the index version served, publishes, outages) at
    MADOGUCHI_LOG_LEVEL with their time and source, in every worker process. No line carries a resident's
    question or a secret; there is no line per request."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["madoguchi"] = {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    config["handlers"]["madoguchi"] = {"class": "logging.StreamHandler", "formatter": "madoguchi",
                                       "stream": "ext://sys.stderr"}
    config["loggers"]["madoguchi"] = {"handlers": ["madoguchi"], "level": level.upper(), "propagate": False}
    return config


def run_server(app: str, host: str, port: int, workers: int, settings: Settings) -> None:
    """uvicorn as every `serve` runs it: quiet, proxies believed only through MADOGUCHI_TRUSTED_PROXIES (the
    apps read it), no access-log line formatted per request (never written at "warning"), time for workers to
    start on a busy small server, and deadlines for a request's headers and body
    (channels/server/deadlines.py)."""
    import uvicorn

    from channels.server.deadlines import deadline_protocol

    protocol = deadline_protocol(settings.request_header_timeout_seconds,
                                 settings.request_body_timeout_seconds)
    uvicorn.run(app, host=host, port=port, workers=workers, log_config=log_config(settings.log_level),
                log_level="info" if settings.log_level in ("debug", "info") else settings.log_level,
                access_log=False,
                proxy_headers=False, timeout_worker_healthcheck=WORKER_START_SECONDS,
                http=protocol)  # type: ignore[arg-type]  # a factory of the protocol, as uvicorn calls it
