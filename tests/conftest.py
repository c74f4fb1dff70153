"""Shared fixtures: a clean environment per test, the sample city's index built once, and the tiers.

A test using a service (PostgreSQL, Redis, Chromium: testing/services.py) is marked `system` here; modules
that start processes, kill them or fuzz say so with their own `pytestmark`."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from typer.testing import CliRunner

from channels.cli.app import app
from testing.recorder import Recorder
from testing.services import SERVICES, chromium_service, postgresql_service, redis_service  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, model_cache: Path) -> None:
    """No test sees a developer's MADOGUCHI_* settings; all share one built model."""
    for name in list(os.environ):
        if name.startswith("MADOGUCHI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(model_cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose models/ folder holds the built-in model, built once per test session."""
    return tmp_path_factory.mktemp("madoguchi-data")


@pytest.fixture(scope="session")
def sample_index_dir(model_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample city's index, built once through the CLI."""
    index_dir = tmp_path_factory.mktemp("sample-index")
    result = CliRunner().invoke(app, ["index", "build", "--index-dir", str(index_dir)],
                                env={"MADOGUCHI_DATA_DIR": str(model_cache)})
    assert result.exit_code == 0, result.output
    return index_dir


@pytest.fixture()
def prefix(redis_service: str) -> Iterator[str]:  # noqa: F811 (the fixture imported above)
    """A Redis key prefix of this test's own; every key under it is deleted afterwards."""
    name = f"madoguchi-test-{uuid.uuid4().hex[:12]}:"
    yield name
    client = redis.Redis.from_url(redis_service)
    for key in client.scan_iter(match=f"{name}*"):
        client.delete(key)
    client.close()


@pytest.fixture()
def cli() -> Iterator[CliRunner]:
    """The `madoguchi` command, invoked in-process."""
    yield CliRunner()


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    """A local stand-in for the LINE and Slack APIs that records what madoguchi sends."""
    server = Recorder().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(chromium_service: str) -> Iterator[object]:  # noqa: F811 (the fixture imported above)
    """Debian's headless Chromium, one per test module; skipped where it is not installed (failed under
    CI)."""
    from testing.browser import chromium

    with chromium() as running:
        yield running


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses a service belongs to the system tier and every test on the sample city's built
    index to the integration tier, however many fixtures lie between (modules mark what no fixture shows)."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & set(SERVICES.values()):
            item.add_marker(pytest.mark.system)
        if "sample_index_dir" in fixtures:
            item.add_marker(pytest.mark.integration)
