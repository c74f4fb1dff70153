"""Hot reload: a served city picks up a newly published index version without a restart, refuses a
corrupt or incompatible one while it keeps answering, and no request fails while versions swap."""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.service.publishing import build_from_settings
from channels.cli.app import app as cli_app
from channels.server import create_app
from indexer.chive import MODEL_NAME
from indexer.store import IndexStore
from knowledge.core.errors import CorruptIndexError
from knowledge.core.settings import Settings
from testing.live_index import BASE, DRONE, DRONE_QUESTION, HEADER, ask, version, wait_for
from testing.recorder import free_port

pytestmark = pytest.mark.integration

OLD_QUESTION = "粗大ごみの出し方を教えて"


@pytest.fixture()
def city(tmp_path: Path) -> Iterator[tuple[Settings, Path]]:
    """A city served from its own index directory (first version built), and a new FAQ file to add."""
    drone = tmp_path / "drone.csv"
    drone.write_text(DRONE, encoding="utf-8")
    settings = Settings(index_dir=tmp_path / "index", sources=[BASE], keep_versions=10, index_poll_seconds=0,
                        database_url=f"sqlite:///{tmp_path / 'store.db'}", rate_per_session=100_000,
                        rate_per_address=100_000)
    build_from_settings(settings)
    yield settings, drone


def test_new_faq_is_answered_without_restart(city: tuple[Settings, Path], cli: CliRunner) -> None:
    settings, drone = city
    watched = settings.model_copy(update={"index_poll_seconds": 0.1})
    with TestClient(create_app(watched)) as client:
        first = version(client)
        assert (ask(client, DRONE_QUESTION).get("answer") or {}).get("id") != "N001"
        built = cli.invoke(cli_app,
                           ["index", "build", str(BASE), str(drone), "--index-dir", str(settings.index_dir)])
        assert built.exit_code == 0, built.output
        published = IndexStore(settings.resolved_index_dir).current_version()
        wait_for(lambda: version(client) == published)
        reply = ask(client, DRONE_QUESTION)
    assert published != first
    assert reply["decision"] == "answer" and reply["answer"]["id"] == "N001"


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def garbage(path: Path) -> None:
    path.write_bytes(b"\x00\xffnot an index file\n" * 3)


def wrong_shape(path: Path) -> None:
    np.save(path, np.ones(3))


DAMAGE = {"dense.faiss": truncate, "records.jsonl": garbage, "bm25-question.npz": truncate,
          "units.npz": garbage, "manifest.json": garbage, "bm25-question.idf.npy": wrong_shape}


@pytest.mark.parametrize("damaged", sorted(DAMAGE))
def test_corrupt_version_is_refused_and_the_old_one_keeps_answering(
        city: tuple[Settings, Path], damaged: str, caplog: pytest.LogCaptureFixture) -> None:
    settings, drone = city
    store = IndexStore(settings.resolved_index_dir)
    with TestClient(create_app(settings)) as client, caplog.at_level(logging.WARNING,
                                                                     logger="madoguchi.index"):
        serving = version(client)
        bad = build_from_settings(settings.model_copy(update={"sources": [BASE, drone]})).manifest["version"]
        DAMAGE[damaged](store.versions / bad / damaged)
        store.activate(bad)
        watcher = client.app.state.index_watcher  # type: ignore[attr-defined]
        assert watcher.poll() is None and watcher.poll() is None
        assert version(client) == serving and ask(client, OLD_QUESTION)["decision"] != "escalate"
        assert len([r for r in caplog.records if bad in r.getMessage()]) == 1, "logged once per bad version"
        good = build_from_settings(settings.model_copy(update={"sources": [BASE, drone]})).manifest["version"]
        assert watcher.poll() == good and version(client) == good


@pytest.mark.parametrize(("other", "named"), [({"split_mode": "C"}, "tokenizer"),
                                              ({"query_prompt": "検索クエリ: "}, "query_prompt")])
def test_version_built_with_another_model_or_tokenizer_is_refused(
        city: tuple[Settings, Path], other: dict[str, str], named: str,
    caplog: pytest.LogCaptureFixture) -> None:
    settings, drone = city
    # the built-in model takes no prompts: name its folder, as a city would its own model
    if "query_prompt" in other:
        other = {**other, "model": str(settings.model_cache_dir / MODEL_NAME)}
    with TestClient(create_app(settings)) as client, caplog.at_level(logging.WARNING,
                                                                     logger="madoguchi.index"):
        serving = version(client)
        build_from_settings(settings.model_copy(update={"sources": [BASE, drone], **other}))
        assert client.app.state.index_watcher.poll() is None  # type: ignore[attr-defined]
        assert version(client) == serving and ask(client, OLD_QUESTION)["decision"] != "escalate"
    [warning] = [r.getMessage() for r in caplog.records if "not swapped" in r.getMessage()]
    assert "madoguchi index build" in warning and named in warning


@pytest.fixture()
def served(city: tuple[Settings, Path]) -> Iterator[tuple[Settings, str, list[str]]]:
    """Two versions built (without and with the new FAQ), served by uvicorn whose watcher polls quickly."""
    settings, drone = city
    store = IndexStore(settings.resolved_index_dir)
    versions = [store.current_version(),
                build_from_settings(settings.model_copy(update={"sources": [BASE, drone]})).manifest[
        "version"]]
    store.activate(versions[0])
    port = free_port()
    watched = settings.model_copy(update={"index_poll_seconds": 0.05})
    server = uvicorn.Server(uvicorn.Config(create_app(watched), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started)
    yield settings, f"http://127.0.0.1:{port}", versions
    server.should_exit = True
    thread.join()


def hammer(base: str, stop: threading.Event, statuses: list[int], worker: int) -> None:
    questions = [DRONE_QUESTION, OLD_QUESTION, "ごみの分け方", "こんにちは", "担当者と話したい"]
    with httpx.Client(base_url=base, timeout=60) as http:
        turn = 0
        while not stop.is_set():
            body = {"text": questions[turn % len(questions)], "session_id": f"hammer-{worker}-{turn}"}
            statuses.append(http.post("/api/v1/ask", json=body).status_code)
            turn += 1


def test_no_request_fails_while_versions_swap(served: tuple[Settings, str, list[str]]) -> None:
    settings, base, versions = served
    store, stop, statuses = IndexStore(settings.resolved_index_dir), threading.Event(), []
    workers = [threading.Thread(target=hammer, args=(base, stop, statuses, n)) for n in range(4)]
    for worker in workers:
        worker.start()
    with httpx.Client(base_url=base) as http:
        for flip in range(8):
            target = versions[(flip + 1) % 2]
            store.activate(target)
            wait_for(lambda: http.get("/healthz").json()["index_version"] == target)  # noqa: B023
    stop.set()
    for worker in workers:
        worker.join()
    assert len(statuses) >= 8 and Counter(statuses) == {200: len(statuses)}, Counter(statuses)


SECRET = (HEADER + "S900,使い切れなかった年次有給休暇は翌年に繰り越せますか。,年休 繰り越し,"
          "職員の年次有給休暇は20日まで翌年に繰り越せます（職員だけの規程です）。,勤務,人事課,内線 "
          "1234,,staff,,,人事課\n")


def flip_audience(path: Path, record_id: str, audience: str) -> None:
    """What an attacker with write access to a version folder would do: one record's audience changed."""
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for record in lines:
        if record["id"] == record_id:
            record["audience"] = audience
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), encoding="utf-8")


def zero_block(path: Path, size: int = 4096) -> None:
    data = bytearray(path.read_bytes())
    start = len(data) // 2
    data[start:start + size] = bytes(min(size, len(data) - start))
    path.write_bytes(bytes(data))


def with_secret(settings: Settings, tmp_path: Path) -> str:
    """A new version holding a staff-only rule; returns its name (it is live once built)."""
    (tmp_path / "secret.csv").write_text(SECRET, encoding="utf-8")
    return build_from_settings(
        settings.model_copy(update={"sources": [BASE, tmp_path / "secret.csv"]})).manifest["version"]


@pytest.mark.parametrize(("damaged", "damage"),
                         [("records.jsonl", lambda p: flip_audience(p, "S900", "resident")),
                           ("dense.faiss", zero_block)])
def test_a_version_changed_after_its_build_is_refused_and_the_old_one_keeps_answering(
        city: tuple[Settings, Path], tmp_path: Path, damaged: str, damage: Callable[[Path], None],
        caplog: pytest.LogCaptureFixture) -> None:
    settings, _ = city
    store = IndexStore(settings.resolved_index_dir)
    with TestClient(create_app(settings)) as client, caplog.at_level(logging.WARNING,
                                                                     logger="madoguchi.index"):
        serving = version(client)
        tampered = with_secret(settings, tmp_path)
        damage(store.versions / tampered / damaged)
        assert client.app.state.index_watcher.poll() is None  # type: ignore[attr-defined]
        assert version(client) == serving
    [refused] = [r.getMessage() for r in caplog.records if tampered in r.getMessage()]
    assert "not swapped" in refused and damaged in refused and "SHA-256" in refused


def test_a_server_starts_on_the_newest_good_version_when_the_live_one_is_corrupt(
        city: tuple[Settings, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings, drone = city
    store = IndexStore(settings.resolved_index_dir)
    good = build_from_settings(settings.model_copy(update={"sources": [BASE, drone]})).manifest["version"]
    tampered = with_secret(settings, tmp_path)
    flip_audience(store.versions / tampered / "records.jsonl", "S900", "resident")
    with caplog.at_level(logging.WARNING,
                         logger="madoguchi.index"), TestClient(create_app(settings)) as client:
        assert version(client) == good
        reply = ask(client, "使い切れなかった年次有給休暇は翌年に繰り越せますか。")
        assert (reply.get("answer") or {}).get("id") != "S900"
        assert ask(client, DRONE_QUESTION)["answer"]["id"] == "N001", "the older version answers"
    assert store.current_version() == tampered, "the pointer is left for people to decide"
    [loud] = [r for r in caplog.records if r.levelno == logging.ERROR and tampered in r.getMessage()]
    assert good in loud.getMessage() and "CANNOT BE USED" in loud.getMessage()


def test_a_server_with_no_good_version_refuses_to_start(city: tuple[Settings, Path]) -> None:
    settings, _ = city
    store = IndexStore(settings.resolved_index_dir)
    zero_block(store.current_dir() / "dense.faiss")
    with pytest.raises(CorruptIndexError, match="dense.faiss"), TestClient(create_app(settings)):
        pass


def test_a_version_built_before_checksums_is_checked_by_its_records_hash(
        city: tuple[Settings, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings, _ = city
    store = IndexStore(settings.resolved_index_dir)
    with TestClient(create_app(settings)) as client, caplog.at_level(logging.WARNING,
                                                                     logger="madoguchi.index"):
        watcher = client.app.state.index_watcher  # type: ignore[attr-defined]
        legacy = with_secret(settings, tmp_path)
        manifest_path = store.versions / legacy / "manifest.json"
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        del manifest["checksums"]
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
        assert watcher.poll() == legacy, "an older build still serves"
        assert any("before madoguchi recorded file checksums" in r.getMessage() for r in caplog.records)
        tampered = with_secret(settings, tmp_path)
        manifest_path = store.versions / tampered / "manifest.json"
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        del manifest["checksums"]
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
        flip_audience(store.versions / tampered / "records.jsonl", "S900", "resident")
        assert watcher.poll() is None and version(client) == legacy
    assert any("corpus_hash" in r.getMessage() and tampered in r.getMessage() for r in caplog.records)
