"""A local HTTP server standing in for the LINE and Slack APIs: it records every request madoguchi sends."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Recorded:
    """One request as the platform would have received it."""

    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Recorder:
    """Start with `start()`; `requests` fills as madoguchi calls out."""

    requests: list[Recorded] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    overrides: dict[str, dict[str, Any] | Callable[[Any], dict[str, Any]]] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)

    def start(self) -> Recorder:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
                try:
                    body: Any = json.loads(raw)
                except json.JSONDecodeError:
                    body = raw
                recorder.requests.append(Recorded(self.path, dict(self.headers), body))
                time.sleep(recorder.delays.get(self.path, 0.0))
                status = recorder.status_for(self.path)
                answer = recorder.answer_for(self.path, body) if status == 200 else {"message": "down"}
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def status_for(self, path: str) -> int:
        """500 while a failure count is set for the path (a platform outage), else 200."""
        if self.failures.get(path, 0) > 0:
            self.failures[path] -= 1
            return 500
        return 200

    def answer_for(self, path: str, body: Any = None) -> dict[str, Any]:
        """What the real platform answers, so the SDKs parse a response of the right shape; an override
        may be a function of the request body (a directory answering per user, say)."""
        if path in self.overrides:
            override = self.overrides[path]
            return override(body) if callable(override) else override
        if "/api/" in path:
            return {"ok": True, "ts": f"{time.time():.6f}", "channel": "C1"}
        if path.startswith("/v2/bot/message/"):
            return {"sentMessages": [{"id": str(time.time_ns()), "quoteToken": "recorded"}]}
        return {}

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()

    def wait_for(self, path_part: str, count: int = 1, seconds: float = 20.0) -> list[Recorded]:
        """The requests to a path, waiting for lazy listeners that answer after the ack."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = [r for r in self.requests if path_part in r.path]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        return [r for r in self.requests if path_part in r.path]
