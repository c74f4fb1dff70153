"""The mistakes a city's IT staff make at the command line get one line saying what to fix and an exit code,
never a traceback, and never cost data: a retention of -1 days deleted every conversation, and a batch whose
--out folder did not exist answered every question before it failed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.store import IndexStore
from knowledge.core.settings import PACKAGE_DIR
from testing.recorder import free_port

pytestmark = pytest.mark.system  # runs madoguchi as a process, as the IT staff type it
SAMPLE_LABELLED = PACKAGE_DIR / "samples" / "labelled" / "minato.jsonl"


def run(folder: Path, model_cache: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    settings = {"MADOGUCHI_DATABASE_URL": f"sqlite:///{folder / 'store.db'}",
                "MADOGUCHI_DATA_DIR": str(model_cache), "MADOGUCHI_INDEX_DIR": str(folder / "index"),
                "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "channels.cli", *args],
                          env={**os.environ, **settings, **env}, cwd=folder, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.mark.parametrize("days", ["0", "-1"])
def test_a_purge_keeps_at_least_a_day(days: str, model_cache: Path, tmp_path: Path) -> None:
    result = run(tmp_path, model_cache, "data", "purge", "--days", days)
    assert result.returncode == 2 and "greater than or equal to 1" in result.stderr
    assert "deleted" not in result.stdout


@pytest.mark.parametrize("setting", ["MADOGUCHI_SOURCES", "MADOGUCHI_TRUSTED_PROXIES",
                                     "MADOGUCHI_CHANNEL_THRESHOLDS"])
def test_a_list_or_mapping_setting_written_plainly_is_named(setting: str, model_cache: Path,
                                                            tmp_path: Path) -> None:
    result = run(tmp_path, model_cache, "index", "info", **{setting: "10.0.0.5"})
    assert result.returncode == 2, result.stderr
    form = 'must be JSON, a list such as ["a", "b"] or an object such as {"key": "value"}'
    assert result.stderr.strip().splitlines() == [f"configuration error: {setting}: {form}"]


def test_channel_test_says_when_no_server_answers_and_knows_only_its_channels(model_cache: Path,
                                                                             tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    silent = run(tmp_path, model_cache, "channel-test", "line", "--url", url,
                 MADOGUCHI_LINE_CHANNEL_SECRET="s")
    assert silent.returncode == 1 and "Traceback" not in silent.stderr
    assert silent.stderr.strip().startswith(f"error: cannot reach {url} (")
    typo = run(tmp_path, model_cache, "channel-test", "teams", "--url", url)
    assert typo.returncode == 2 and "'teams' is not one of 'line', 'slack'" in typo.stderr


def test_a_batch_into_a_folder_that_does_not_exist_is_refused_before_it_starts(model_cache: Path,
                                                                              tmp_path: Path) -> None:
    questions = tmp_path / "questions.jsonl"
    questions.write_text('{"id": "1", "text": "住民票の写しがほしい"}\n', encoding="utf-8")
    result = run(tmp_path, model_cache, "ask", "--batch", str(questions), "--out", "missing/answers.jsonl")
    assert result.returncode == 2 and f"the folder {tmp_path / 'missing'} does not exist" in result.stderr
    assert "no index" not in result.stderr  # refused before the bot was even loaded


def test_a_table_written_to_a_log_is_never_cut_to_80_columns(model_cache: Path, sample_index_dir: Path,
                                                             tmp_path: Path) -> None:
    """`madoguchi index history >> cron.log`: the version `index use` needs must be whole."""
    env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    env |= {"MADOGUCHI_DATA_DIR": str(model_cache), "MADOGUCHI_INDEX_DIR": str(sample_index_dir)}
    logged = subprocess.run([sys.executable, "-m", "channels.cli", "index", "history"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120, check=False)
    version = IndexStore(sample_index_dir).current_version()
    assert logged.returncode == 0 and version in logged.stdout, logged.stdout


def test_tune_refuses_thresholds_that_make_no_sense(model_cache: Path, sample_index_dir: Path,
                                                     tmp_path: Path) -> None:
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text("".join(Path(SAMPLE_LABELLED).read_text(encoding="utf-8").splitlines(True)[:5]),
                        encoding="utf-8")
    share = run(tmp_path, model_cache, "tune", "--labelled", str(labelled), "--max-wrong", "5")
    assert share.returncode == 2 and "--max-wrong" in share.stderr
    crossed = run(tmp_path, model_cache, "tune", "--labelled", str(labelled), "--answer", "0.3",
                  "--clarify", "0.5", MADOGUCHI_INDEX_DIR=str(sample_index_dir))
    assert crossed.returncode == 2, crossed.stderr
    assert "answer ≥ 0.3 is below clarify ≥ 0.5" in crossed.stderr


@pytest.mark.parametrize("setting, value, said", [
    ("MADOGUCHI_DECISION_MODEL", "/nonexistent/model.json", "decision model /nonexistent/model.json"),
    ("MADOGUCHI_URGENT_FILE", "bad-urgent.yaml", "urgent situations file"),
    ("MADOGUCHI_REDIS_URL", "http://127.0.0.1:6379/0", "must start with redis://")])
def test_serve_with_two_workers_refuses_a_bad_setting_before_it_starts_them(
        setting: str, value: str, said: str, model_cache: Path, sample_index_dir: Path,
        tmp_path: Path) -> None:
    """Each worker read these as it started: `serve --workers 2` printed a traceback per worker, then hung or
    exited 0, and systemd restarted nothing."""
    (tmp_path / "bad-urgent.yaml").write_text("situations: [1, 2", encoding="utf-8")
    result = run(tmp_path, model_cache, "serve", "--workers", "2", "--port", str(free_port()),
                 MADOGUCHI_INDEX_DIR=str(sample_index_dir), **{setting: value})
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert said in result.stderr and "Traceback" not in result.stderr
