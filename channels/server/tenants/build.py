"""Building each city's index: the city's files, then the shared layer, then the desk's entries of that city.

The path is the one `madoguchi index build` and the desk's publishing take (`bot.service.publishing`), with
the city's settings; a shared record whose id the city also has is dropped by the loader (the city's
comes first) and is reported here as an override, not as a problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.service.publishing import build_knowledge_index, desk_entries, new_builder
from channels.server.tenants.config import Tenant, TenantsFile, tenant_settings
from channels.server.tenants.registry import load_tenants
from indexer.build import IndexBuilder
from indexer.runtime import BuildReport
from knowledge.core.errors import ConfigurationError, IncompatibleIndexError, MadoguchiError
from knowledge.core.settings import Settings
from knowledge.records import Problem
from knowledge.sources import discover


@dataclass(slots=True)
class CityBuild:
    """One city's new index version, with the shared ids it overrides and its real problems."""

    tenant: Tenant
    settings: Settings
    report: BuildReport
    overridden: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def overridden_id(problem: Problem, shared_files: set[str]) -> str | None:
    """The id of a shared record dropped because the city has a record with that id (None for any other
    problem, two shared records clashing included)."""
    if problem.source not in shared_files or not problem.duplicate_id:
        return None
    first = problem.duplicate_of
    return None if any(first.startswith(f"{shared} ") for shared in shared_files) else problem.duplicate_id


def build_tenant_index(settings: Settings, tenant: Tenant, shared_files: set[str],
                       builder: IndexBuilder) -> CityBuild:
    """The city's index, desk entries included whenever its database has any."""
    with desk_entries(settings) as entries:
        report = build_knowledge_index(settings, entries, builder=builder, note="tenants build")
    problems = report.loaded.problems
    ids = [(p, overridden_id(p, shared_files)) for p in problems]
    return CityBuild(tenant, settings, report, [i for _, i in ids if i], [p for p, i in ids if i is None])


def chosen(parsed: TenantsFile, only: str | None) -> list[Tenant]:
    """All cities, or the one asked for by id."""
    if only is None:
        return parsed.tenants
    found = [tenant for tenant in parsed.tenants if tenant.id == only]
    if not found:
        raise ConfigurationError(f"no tenant {only!r} in the tenants file (known: "
                                 f"{', '.join(t.id for t in parsed.tenants)})")
    return found


def build_tenant_indexes(server: Settings, only: str | None = None,
                         parsed: TenantsFile | None = None) -> list[CityBuild]:
    """Every chosen city's index, with one model loaded for all of them (cities share it at serve time
    too); `parsed` is the cities as the caller already read them."""
    parsed = parsed or load_tenants(server)
    shared_files = {str(path) for path in discover(parsed.shared_sources)} if parsed.shared_sources else set()
    builder = new_builder(server)
    return [build_tenant_index(tenant_settings(server, parsed.shared_sources, tenant), tenant, shared_files,
                               builder) for tenant in chosen(parsed, only)]


def missing_indexes(server: Settings, parsed: TenantsFile) -> list[str]:
    """Ids of the cities that never had an index (`madoguchi serve` builds them first). A city whose live
    version cannot be read is not missing: its own start reports it or falls back, and the others start."""
    return [t.id for t in parsed.tenants if _never_built(tenant_settings(server, parsed.shared_sources, t))]


def _never_built(settings: Settings) -> bool:
    from bot.store.index_versions import never_built

    try:
        return never_built(settings)
    except MadoguchiError:
        return False


def incompatible_indexes(server: Settings, parsed: TenantsFile) -> list[tuple[str, IncompatibleIndexError]]:
    """The cities whose live index was built with another model or tokenizer (after an upgrade that changes
    the bundled synonyms, every city's): `madoguchi serve` names each with its rebuild command before it
    starts, and serves the others."""
    from bot.store.index_versions import index_store, never_built
    from indexer.runtime import check_live_version, running_identity

    found, (model, tokenizer) = [], running_identity(server)
    for tenant in parsed.tenants:
        settings = tenant_settings(server, parsed.shared_sources, tenant)
        try:
            if not never_built(settings):
                check_live_version(index_store(settings), model, tokenizer)
        except IncompatibleIndexError as exc:
            found.append((tenant.id, exc))
        except MadoguchiError:  # corrupt or unreachable: the city's own start says so, or falls back
            continue
    return found
