"""madoguchi started as a real process (`madoguchi serve`), for the tests that kill it or run two of it."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx


def start_server(env: dict[str, str], port: int, *options: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "channels.cli", "serve", "--port", str(port), *options],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError(f"server did not start: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
