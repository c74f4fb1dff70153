"""The `madoguchi` command: the index commands defined here, and every other group (ask, learn, data, desk,
kb, model, tenants, serve) assembled from its own module."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from channels.cli import answer, chat, data, desk, kb, learn, model
from channels.cli.failures import explained
from channels.cli.render import activations_table, err, hits_table, out, problems_table, sources_table
from channels.cli.settings import IndexDir, run_server, settings_with
from channels.cli.tenants import serve_tenants, tenants_app
from knowledge.records import Audience

if TYPE_CHECKING:
    from knowledge.core.settings import Settings

app = typer.Typer(help="madoguchi — an FAQ chatbot for Japanese municipalities.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
index_app = typer.Typer(help="Build and inspect the search index.", no_args_is_help=True)
app.add_typer(index_app, name="index")
answer.register(app)
app.command("learn")(learn.learn)
chat.register(app)
app.add_typer(data.data_app, name="data")
app.add_typer(desk.desk_app, name="desk")
app.add_typer(kb.kb_app, name="kb")
app.add_typer(model.model_app, name="model")
app.add_typer(tenants_app, name="tenants")


@index_app.command("build")
def index_build(
    sources: Annotated[list[Path] | None, typer.Argument(help="FAQ tables, documents or folders.")] = None,
    index_dir: IndexDir = None,
    strict: Annotated[bool, typer.Option("--strict", help="Stop on any problem in the sources.")] = False,
) -> None:
    """Load FAQ tables and documents (and the desk's approved entries) and build a new index version."""
    from bot.service.publishing import build_from_settings

    settings = settings_with(index_dir)
    columns = (TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        report = build_from_settings(settings, sources or None, strict, progress)
    out.print(sources_table(report.per_source))
    if report.loaded.problems:
        err.print(problems_table(report.loaded.problems))
    manifest = report.manifest
    out.print(f"index {manifest['version']}: {manifest['counts']['records']} records in "
              f"{manifest['build_seconds']:.1f} s → {settings.resolved_index_dir}")


@index_app.command("info")
def index_info(index_dir: IndexDir = None) -> None:
    """Show the live index version's manifest, the versions on this machine, where the live one is named and
    which decision model answers over it."""
    from bot.model import serving_model
    from bot.store.index_versions import index_store
    from indexer.index import read_records
    from indexer.learned import Learned

    settings = settings_with(index_dir)
    store = index_store(settings)
    version = store.current_version()
    manifest = store.manifest(version)
    folder = store.versions / version
    _, model = serving_model(settings, Learned.read(folder).model, version, read_records(folder))
    out.print_json(json.dumps({**manifest, "versions": store.list_versions(), "pointer": store.pointer.where,
                               "decision_model": model}, ensure_ascii=False))


@index_app.command("use")
def index_use(version: str, index_dir: IndexDir = None) -> None:
    """Make an earlier (or later) version live again, e.g. to roll back a bad build."""
    from bot.store.index_versions import index_store
    from knowledge.core.errors import IndexStoreError

    store = index_store(settings_with(index_dir))
    try:
        live = store.current_version()
    except IndexStoreError:  # the pointer names a version missing here (a restore, a copy not yet made)
        live = None
    if store.has(version) and live == version:
        return out.print(f"{version} is already the live index; nothing changed")
    store.activate(version)
    out.print(f"live index is now {version}")


@index_app.command("history")
def index_history(index_dir: IndexDir = None,
                  limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 20,
                  as_json: Annotated[bool,
                                     typer.Option("--json", help="One JSON object per activation.")] = False,
                  ) -> None:
    """When each version was made live, by which machine and process, and why (newest first)."""
    from bot.store.index_versions import index_store

    store = index_store(settings_with(index_dir))
    changes, on_disk = store.pointer.history(limit), set(store.list_versions())
    if not as_json:
        return out.print(activations_table(store.pointer.where, changes, on_disk))
    for change in changes:
        typer.echo(json.dumps({"version": change.version, "at": change.at.isoformat(), "by": change.by,
                               "note": change.note, "on_this_machine": change.version in on_disk}))


@app.command("search")
def search(
    text: str,
    index_dir: IndexDir = None,
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=100)] = 10,
    audience: Annotated[Audience, typer.Option(help="resident or staff")] = Audience.RESIDENT,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per hit.")] = False,
) -> None:
    """Raw retrieval: ranked records with every field's scores, before any answering logic."""
    from bot.store.index_versions import index_store
    from indexer.runtime import load_runtime
    from indexer.search import raw_search

    settings = settings_with(index_dir)
    runtime = load_runtime(settings, index_store(settings))
    hits = raw_search(runtime.retriever, text, audience, top_k)
    if as_json:
        for hit in hits:
            typer.echo(json.dumps({"id": hit.record.id, "score": hit.score, "signals": hit.signals,
                                       "question": hit.record.question,
                                   "audience": hit.record.audience.value},
                                  ensure_ascii=False))
        return
    out.print(hits_table(text, hits))


@app.command("serve")
def serve(index_dir: IndexDir = None,
          host: Annotated[str | None, typer.Option(help="Listen address (default from settings).")] = None,
          port: Annotated[int | None, typer.Option(help="Port (default: MADOGUCHI_PORT, 8000).")] = None,
          workers: Annotated[int | None, typer.Option(help="Worker processes.")] = None) -> None:
    """Serve the web API, the chat widget and a demo page; builds the sample city's index if none exists."""
    import os

    from bot.service.publishing import build_apart
    from bot.store.database import migrate_apart
    from bot.store.index_versions import index_store, never_built
    from indexer.runtime import check_live_version, running_identity

    if index_dir:  # before anything reads the settings: the app and its workers read the environment
        os.environ["MADOGUCHI_INDEX_DIR"] = str(index_dir)
    settings = settings_with(index_dir)
    if settings.many_cities:  # many cities, chosen by host name (channels/tenants)
        return serve_tenants(settings, host or settings.host, port or settings.port,
                             workers or settings.workers)
    migrate_apart(settings.resolved_database_url)  # once, before workers start; alembic stays out of them
    if never_built(settings):
        out.print(f"no index yet in {settings.resolved_index_dir}: building it from {len(settings.sources)} "
                  "source(s)")
        build_apart(settings)
    check_live_version(index_store(settings), *running_identity(settings))
    check_before_workers(settings)
    host, port = host or settings.host, port or settings.port
    out.print(f"madoguchi: http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    run_server("channels.server.asgi:app", host, port, workers or settings.workers, settings)


def check_before_workers(settings: Settings) -> None:
    """What each worker reads as it starts, read once here: a bad file failed in every worker after the
    server said it was up, and with several workers `serve` then hung or exited 0 (systemd restarts
    nothing on 0)."""
    from bot.model import DecisionModel
    from bot.urgent import city_files, merge
    from knowledge.core.errors import ConfigurationError

    if settings.decision_model:
        DecisionModel.load(settings.decision_model)
    merge(city_files(settings))
    folder = settings.resolved_city_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".madoguchi-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ConfigurationError(f"the city's folder {folder} cannot be written ({exc.strerror}); set "
                                 "MADOGUCHI_CITY_DIR to a folder this user may write") from exc


def main() -> None:
    """Console entry point: what goes wrong in the field becomes lines on stderr and an exit code
    (channels/cli/failures.py)."""
    try:
        app()
    except Exception as error:
        if (told := explained(error)) is None:
            raise
        lines, code = told
        for label, text in lines:
            err.print(f"[red]{label}:[/red] {escape(text)}", markup=True, highlight=False, soft_wrap=True)
        sys.exit(code)


if __name__ == "__main__":
    main()
