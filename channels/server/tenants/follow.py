"""The running cities of a server of many cities, kept in step with the tenant registry while it serves.

A city added to the registry starts answering on its host names, a removed one stops, and a changed one
(hosts, settings, theme, sources) is restarted with what the registry now says, all without restarting
the server or touching the other cities. A city that cannot start (its index not built yet, its
database unreachable) is logged once and tried again at every look, and the others keep serving. The
route table is replaced in one assignment, so a request sees either the old set of cities or the new.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute, Router

from channels.server.tenants.config import Tenant, TenantsFile, tenant_settings
from channels.server.tenants.registry import revisions
from knowledge.core.errors import IncompatibleIndexError
from knowledge.core.settings import Settings

log = logging.getLogger("madoguchi.tenants")
Launch = Callable[[Tenant, Settings], tuple[FastAPI, list[BaseRoute]]]


@dataclass(slots=True)
class Running:
    """One started city: what it was started from, its app, its routes and what stops it."""

    spec: str
    app: FastAPI
    routes: list[BaseRoute]
    stack: AsyncExitStack


def city_spec(parsed: TenantsFile, tenant: Tenant) -> str:
    """Everything a city is started from, so that any change restarts it."""
    return json.dumps([tenant.model_dump(mode="json"), [str(p) for p in parsed.shared_sources]],
                      sort_keys=True)


class Cities:
    """The cities one server runs, by id, and the host-name routes that reach them."""

    def __init__(self, server: Settings, router: Router, launch: Launch) -> None:
        self.server, self.router, self.launch = server, router, launch
        self.running: dict[str, Running] = {}
        self.apps: dict[str, FastAPI] = {}
        self.revision: int | None = None
        self._reported: dict[str, str] = {}

    async def apply(self, parsed: TenantsFile) -> None:
        """Start the new and changed cities (a changed one replaces its old self only once it runs), then
        stop the cities no longer listed."""
        wanted = {tenant.id: (tenant, city_spec(parsed, tenant)) for tenant in parsed.tenants}
        for city_id, (tenant, spec) in wanted.items():
            if city_id not in self.running or self.running[city_id].spec != spec:
                started = await self._start(parsed, tenant, spec)
                if started is not None:
                    await self._replace(city_id, started)
        for city_id in [c for c in self.running if c not in wanted]:
            await self._replace(city_id, None)

    def missing(self, parsed: TenantsFile) -> bool:
        """Whether some city of the list is not running as listed (it failed to start)."""
        return any(t.id not in self.running or self.running[t.id].spec != city_spec(parsed, t)
                   for t in parsed.tenants)

    async def close(self) -> None:
        """Stop every city."""
        for city_id in list(self.running):
            await self._replace(city_id, None)

    async def _start(self, parsed: TenantsFile, tenant: Tenant, spec: str) -> Running | None:
        settings = tenant_settings(self.server, parsed.shared_sources, tenant)
        (app, routes), stack = self.launch(tenant, settings), AsyncExitStack()
        try:
            await stack.enter_async_context(app.router.lifespan_context(app))
        except Exception as exc:  # one city's broken index or database must not stop the others
            await stack.aclose()
            self.report(tenant.id, f"city {tenant.id} not started: {why_not(exc, tenant.id)}")
            return None
        self._reported.pop(tenant.id, None)
        log.info("city %s is serving on %s", tenant.id, ", ".join(tenant.hosts))
        return Running(spec, app, routes, stack)

    async def _replace(self, city_id: str, fresh: Running | None) -> None:
        """Route the city to `fresh` (None: nowhere), then stop the one it replaces."""
        old = self.running.pop(city_id, None)
        if fresh is None:
            self.apps.pop(city_id, None)
        else:
            self.running[city_id], self.apps[city_id] = fresh, fresh.app
        self.router.routes = [route for city in self.running.values() for route in city.routes]
        if old is not None:
            await old.stack.aclose()
            log.info("city %s: the previous instance stopped", city_id)

    def report(self, about: str, message: str) -> None:
        """Log a problem once, until it changes; an empty message says it went away."""
        if self._reported.get(about, "") != message:
            if message:
                log.error("%s", message)
            self._reported[about] = message


def why_not(exc: Exception, city_id: str) -> str:
    """What stopped a city, with the rebuild command of a server of many cities where an index must be
    rebuilt (`madoguchi index build` would build it from the server's sources, not the city's)."""
    if isinstance(exc, IncompatibleIndexError):
        return f"{exc.problem}; rebuild it: madoguchi tenants build {city_id}"
    return f"{type(exc).__name__}: {exc}"


async def follow_registry(cities: Cities, seconds: float) -> None:
    """Look at the registry every `seconds`; apply a new revision, or retry cities that did not start."""
    parsed: TenantsFile | None = None
    while True:
        await asyncio.sleep(seconds)
        try:
            newest = await run_in_threadpool(revisions, cities.server, 1)
        except Exception as exc:  # the registry's database may be down; the running cities keep serving
            cities.report("registry", f"tenant registry not read: {type(exc).__name__}: {exc}")
            continue
        cities.report("registry", "")
        if newest and (newest[0].number != cities.revision or (parsed and cities.missing(parsed))):
            parsed, cities.revision = newest[0].cities, newest[0].number
            await cities.apply(parsed)
