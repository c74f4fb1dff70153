"""`madoguchi tenants …`: list the cities of the tenants file and build their indexes; serve them all."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from channels.cli.render import err, out, problems_table
from channels.cli.settings import run_server
from knowledge.core.errors import ConfigurationError

if TYPE_CHECKING:  # the settings load when a command runs, not for `madoguchi --help`
    from knowledge.core.settings import Settings

tenants_app = typer.Typer(help="Many cities on one server (a tenants file, or the registry in the server's "
                               "database): list them, store them, build their indexes.",
                          no_args_is_help=True)


def _server() -> Settings:
    from knowledge.core.settings import Settings

    settings = Settings()
    if not settings.many_cities:
        raise ConfigurationError("set MADOGUCHI_TENANTS_FILE to the YAML file of the cities this server "
                                 "hosts, or MADOGUCHI_TENANTS_FROM_DATABASE=true after `madoguchi tenants "
                                 "import FILE`")
    return settings


def _registry_owner() -> Settings:
    """The server's own settings, read for its database (where the registry lives), not for its cities."""
    from knowledge.core.settings import Settings

    return Settings(tenants_file=None, tenants_from_database=False)


@tenants_app.command("list")
def tenants_list() -> None:
    """Each city: id, host names, index, database (password hidden) and the widget tag for its pages."""
    from sqlalchemy.engine import make_url

    from channels.server.tenants.registry import load_tenants
    from channels.server.tenants.server import widget_tag

    parsed = load_tenants(_server())
    table = Table("id", "city", "hosts", "index", "database", "widget tag")
    for tenant in parsed.tenants:
        database = make_url(tenant.database_url).render_as_string(hide_password=True)
        table.add_row(tenant.id, tenant.city_name, " ".join(tenant.hosts), str(tenant.index_dir), database,
                      str(widget_tag(tenant, f"https://{tenant.hosts[0]}")))
    out.print(table)
    out.print(f"shared layer: {', '.join(map(str, parsed.shared_sources)) or '(none)'}")


@tenants_app.command("import")
def tenants_import(path: Annotated[Path, typer.Argument(help="The tenants file (YAML) to store.")]) -> None:
    """Check a tenants file and store it in the tenant registry of MADOGUCHI_DATABASE_URL, which servers with
    MADOGUCHI_TENANTS_FROM_DATABASE=true follow while they serve; a file with a mistake changes nothing."""
    from channels.server.tenants.registry import import_tenants

    revision = import_tenants(_registry_owner(), path)
    cities = ", ".join(tenant.id for tenant in revision.cities.tenants)
    out.print(f"tenant registry revision {revision.number}: {len(revision.cities.tenants)} cities ({cities}) "
              f"from {revision.source}; servers reading the registry follow it within "
              "MADOGUCHI_TENANTS_POLL_SECONDS",
              soft_wrap=True)


@tenants_app.command("history")
def tenants_history(limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 20) -> None:
    """The stored lists of cities, newest first: when, from which file, by which machine."""
    from channels.server.tenants.registry import revisions

    table = Table("revision", "when", "cities", "from", "by", title="tenant registry")
    for revision in revisions(_registry_owner(), limit):
        table.add_row(str(revision.number), revision.at.strftime("%Y-%m-%d %H:%M:%S"),
                      " ".join(t.id for t in revision.cities.tenants), revision.source, revision.by)
    out.print(table)


@tenants_app.command("build")
def tenants_build(tenant_id: Annotated[str | None,
                                       typer.Argument(help="One city's id; default all.")] = None) -> None:
    """Build each city's index from its files, the shared layer and its desk's approved entries."""
    from channels.server.tenants.build import build_tenant_indexes

    for city in build_tenant_indexes(_server(), tenant_id):
        manifest = city.report.manifest
        overrides = ", ".join(city.overridden) or "none"
        out.print(f"{city.tenant.id}: index {manifest['version']}, {manifest['counts']['records']} records "
                  f"(shared entries this city overrides: {overrides}) → {city.settings.resolved_index_dir}",
                  soft_wrap=True)
        if city.problems:
            err.print(problems_table(city.problems))


def serve_tenants(server: Settings, host: str, port: int, workers: int) -> None:
    """`madoguchi serve` with a tenants file: every city's store migrated and index built, then uvicorn."""
    from bot.store import ConversationStore
    from channels.server.tenants.build import build_tenant_indexes, incompatible_indexes, missing_indexes
    from channels.server.tenants.follow import why_not
    from channels.server.tenants.registry import load_tenants
    from channels.server.tenants.server import city_apps

    parsed = load_tenants(server)  # once: every step below prepares the same cities
    cities = city_apps(server, parsed)
    for _, settings, _ in cities:
        ConversationStore(settings.resolved_database_url).migrate().engine.dispose()
    for tenant_id in missing_indexes(server, parsed):
        out.print(f"no index yet for {tenant_id}: building it")
        build_tenant_indexes(server, tenant_id, parsed)
    unserved = incompatible_indexes(server, parsed)
    for tenant_id, problem in unserved:
        err.print(f"city {tenant_id} is not served: {why_not(problem, tenant_id)}", soft_wrap=True)
    served = len(cities) - len(unserved)
    out.print(f"madoguchi: {served} cities on http://{host}:{port}/ (chosen by host name)")
    run_server("channels.server.tenants.asgi:app", host, port, workers, server)
