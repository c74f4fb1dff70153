"""Shared fixtures: a clean environment per test, and the sample city's index built once."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from channels.cli.app import app
from knowledge.core.settings import Settings
from tests.recorder import Recorder

def _shared() -> Path:
    """../shared beside the checkout; from a git worktree, beside the main checkout it belongs to."""
    checkout = Path(__file__).resolve().parents[1]
    common = checkout / ".git"
    if common.is_file():  # a worktree: ".git" names <main>/.git/worktrees/<name>
        common = Path(common.read_text(encoding="utf-8").split(":", 1)[1].strip()).parents[1]
    return common.parent.parent / "shared"


SHARED = _shared()


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
def cli() -> Iterator[CliRunner]:
    """The `madoguchi` command, invoked in-process."""
    yield CliRunner()


def sample_settings(index_dir: Path, **overrides: object) -> Settings:
    """Settings as the CLI would make them for an index directory."""
    return Settings(index_dir=index_dir, **overrides)


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    """A local stand-in for the LINE and Slack APIs that records what madoguchi sends."""
    server = Recorder().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's headless Chromium, one per test module; skipped where it is not installed."""
    from tests.browser import CHROMIUM, chromium

    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install chromium (CI does)")
    with chromium() as running:
        yield running
