"""`madoguchi serve` as a city's IT staff start it: the server uses the options given on the command line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from indexer.store import IndexStore
from knowledge.core.settings import MUNICIPAL_SYNONYMS
from testing.recorder import free_port
from testing.servers import start_server
from testing.tenants import HOSTS, write_city

pytestmark = pytest.mark.system  # starts madoguchi as a process


def test_serve_answers_from_the_index_dir_named_on_the_command_line(sample_index_dir: Path, model_cache: Path,
                                                                   tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "MADOGUCHI_INDEX_DIR"}
    env |= {"MADOGUCHI_DATA_DIR": str(model_cache), "MADOGUCHI_WORKERS": "1",
            "MADOGUCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    port = free_port()
    server = start_server(env, port, "--index-dir", str(sample_index_dir))
    try:
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).json()
        reply = httpx.post(f"http://127.0.0.1:{port}/api/v1/ask", timeout=30,
                           json={"session_id": "serve-index-dir-01", "text": "住民票の写しがほしい"}).json()
    finally:
        server.kill()
    assert health["index_version"] == IndexStore(sample_index_dir).current_version()
    assert reply["decision"] in ("answer", "clarify")
    written = server.stderr.read().decode()  # type: ignore[union-attr]
    assert f"serving index version {health['index_version']}" in written, written  # MADOGUCHI_LOG_LEVEL=info
    assert "住民票" not in written, "no resident's question in the log"


def received_until_closed(connection: socket.socket) -> bytes:
    """Everything the server sends before it closes the connection (a generous bound: what is asserted is
    that it closes, not when)."""
    connection.settimeout(30)
    received = b""
    while chunk := connection.recv(4096):
        received += chunk
    return received


def test_requests_sent_too_slowly_are_cut_off_and_others_are_answered(model_cache: Path,
                                                                       sample_index_dir: Path,
                                                                       tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "MADOGUCHI_INDEX_DIR"}
    env |= {"MADOGUCHI_DATA_DIR": str(model_cache), "MADOGUCHI_WORKERS": "1",
            "MADOGUCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
            "MADOGUCHI_REQUEST_HEADER_TIMEOUT_SECONDS": "1", "MADOGUCHI_REQUEST_BODY_TIMEOUT_SECONDS": "1"}
    port = free_port()
    server = start_server(env, port, "--index-dir", str(sample_index_dir))
    try:
        with (socket.create_connection(("127.0.0.1", port)) as unfinished_headers,
              socket.create_connection(("127.0.0.1", port)) as unfinished_body,
              socket.create_connection(("127.0.0.1", port)) as in_time):
            unfinished_headers.sendall(b"GET /healthz HTTP/1.1\r\nHost: madoguchi\r\n")
            unfinished_body.sendall(b"POST /api/v1/ask HTTP/1.1\r\nHost: madoguchi\r\n"
                                    b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                                    b'{"text":')
            in_time.sendall(b"GET /healthz HTTP/1.1\r\nHost: madoguchi\r\n")
            time.sleep(0.3)
            in_time.sendall(b"Connection: close\r\n\r\n")
            cut_headers = received_until_closed(unfinished_headers)
            cut_body = received_until_closed(unfinished_body)
            answered = received_until_closed(in_time)
        after = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
    finally:
        server.kill()
    status, _, body = cut_headers.partition(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 408 ") and json.loads(body)["status"] == 408
    assert cut_body == b"", "an application waiting for a body is told the client went away; nothing is sent"
    assert answered.startswith(b"HTTP/1.1 200 ") and after.status_code == 200


def test_serve_refuses_an_index_built_with_other_synonyms_in_one_line(
        model_cache: Path, sample_index_dir: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "city-synonyms.txt"  # the same groups under another name are other group terms
    renamed.write_bytes(MUNICIPAL_SYNONYMS.read_bytes())
    env = {key: value for key, value in os.environ.items() if key != "MADOGUCHI_INDEX_DIR"}
    env |= {"MADOGUCHI_DATA_DIR": str(model_cache), "MADOGUCHI_SYNONYM_FILES": json.dumps([str(renamed)]),
            "MADOGUCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    done = subprocess.run([sys.executable, "-m", "channels.cli", "serve", "--port", str(free_port()),
                           "--index-dir", str(sample_index_dir)], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "other tokenizer settings" in done.stderr
    said = " ".join(done.stderr.split())  # the console wraps long lines
    assert f"rebuild it: madoguchi index build --index-dir {sample_index_dir}" in said


def test_a_server_of_many_cities_names_each_city_to_rebuild_and_serves_the_others(
        model_cache: Path, tmp_path: Path) -> None:
    tenants = write_city(tmp_path, {key: f"sqlite:///{tmp_path / key}.db" for key in HOSTS})
    env = {key: value for key, value in os.environ.items() if not key.startswith("MADOGUCHI_")}
    env |= {"MADOGUCHI_DATA_DIR": str(model_cache), "MADOGUCHI_TENANTS_FILE": str(tenants),
            "MADOGUCHI_WORKERS": "1"}
    for _ in range(2):  # two versions each: a city whose live version is damaged falls back to the older
        built = subprocess.run([sys.executable, "-m", "channels.cli", "tenants", "build"], env=env,
                               capture_output=True, text=True, timeout=300)
        assert built.returncode == 0, built.stderr
    damaged = IndexStore(tmp_path / "index-asahi")
    (damaged.versions / damaged.current_version() / "manifest.json").unlink()  # the live version lost
    kawase = IndexStore(tmp_path / "index-kawase")
    manifest = kawase.versions / kawase.current_version() / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text(encoding="utf-8")), "format_version": 0}),
                        encoding="utf-8")  # as if built by an older madoguchi
    port, said = free_port(), tmp_path / "stderr.txt"
    with said.open("w") as stderr:
        server = subprocess.Popen([sys.executable, "-m", "channels.cli", "serve", "--port", str(port)],
                                  env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)
        try:
            asahi = answered(server, port, HOSTS["asahi"])
            other = httpx.post(f"http://127.0.0.1:{port}/api/v1/ask", headers={"Host": HOSTS["kawase"]},
                               json={"text": "犬の登録はどこでできますか"}, timeout=30)
        finally:
            server.kill()
    printed = " ".join(said.read_text(encoding="utf-8").split())  # the console wraps long lines
    assert asahi.status_code == 200 and other.status_code == 404
    assert "city kawase is not served: " in printed and "city asahi is not served" not in printed
    assert "city asahi is serving on" in printed  # MADOGUCHI_LOG_LEVEL=info
    assert printed.count("has index format 0") == 2  # before starting, and in the log when the city loads
    assert printed.count("rebuild it: madoguchi tenants build kawase") == 2
    assert "madoguchi index build --index-dir" not in printed  # from the server's sources, not the city's
    assert "Serving the older version" in printed  # asahi's live version is damaged: it falls back
    assert "Traceback" not in printed


def answered(server: subprocess.Popen[str], port: int, host: str) -> httpx.Response:
    """A resident's question on one city's host name, once the server answers."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        try:
            return httpx.post(f"http://127.0.0.1:{port}/api/v1/ask", headers={"Host": host},
                              json={"text": "粗大ごみの申し込み方法"}, timeout=30)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"the server of many cities did not start (exit code {server.poll()})")
