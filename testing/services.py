"""The services the system tests use, checked once per test session: a missing one skips the tests that need
it, naming it, so `make test` runs everything it can on any machine; with CI=true a missing service fails them
instead, so a CI image that lost PostgreSQL cannot pass by skipping.

PostgreSQL and Redis are probed with a TCP connect to the host and port of their test URLs
(MADOGUCHI_TEST_POSTGRES_URL, MADOGUCHI_TEST_REDIS_URL); Chromium by its path (MADOGUCHI_CHROMIUM).
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
from urllib.parse import urlsplit

import pytest

POSTGRES = os.environ.get("MADOGUCHI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("MADOGUCHI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CHROMIUM = os.environ.get("MADOGUCHI_CHROMIUM", "/usr/bin/chromium")
SERVICES = {"postgresql": "postgresql_service", "redis": "redis_service", "chromium": "chromium_service"}


def listening(url: str, default_port: int) -> str | None:
    """None when something accepts connections at the URL's host and port, else why not."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as exc:
        return f"nothing listens on {host}:{port} ({exc.strerror or exc})"
    return None


@functools.cache
def missing(service: str) -> str | None:
    """Why `service` cannot be used on this machine, or None when it can; asked once per session."""
    if service == "postgresql":
        return listening(POSTGRES, 5432)
    if service == "redis":
        return listening(REDIS, 6379)
    if service == "chromium":
        return None if shutil.which(CHROMIUM) else f"no executable at {CHROMIUM} (apt-get install chromium)"
    raise ValueError(f"unknown service {service!r}")


def require(service: str) -> None:
    """Skip the calling test when `service` is missing; fail it when running under CI."""
    reason = missing(service)
    if reason is None:
        return
    message = f"needs {service}: {reason}"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{message} (CI=true: a missing service is a failure)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgresql_service() -> str:
    """The PostgreSQL server the tests create schemas in."""
    require("postgresql")
    return POSTGRES


@pytest.fixture(scope="session")
def redis_service() -> str:
    """The Redis server shared limits are kept in."""
    require("redis")
    return REDIS


@pytest.fixture(scope="session")
def chromium_service() -> str:
    """The Chromium executable the browser tests drive."""
    require("chromium")
    return CHROMIUM
