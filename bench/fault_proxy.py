"""A TCP proxy on 127.0.0.1 in front of a real database, for outage tests and benchmarks. It passes, refuses
(every connection is closed: the database is down), or turns silent: it keeps accepting connections and
reading what is sent, but nothing reaches the server and nothing comes back (a hung or half-partitioned
database). A connection that went silent stays silent; new ones pass again once the proxy does."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import suppress


class FaultProxy:
    """`url_for(url)` rewrites a database URL to go through the proxy; `silent()`, `refusing()` and
    `passing()` switch it."""

    def __init__(self, target_port: int, hold_seconds: float = 60.0) -> None:
        self.target_port, self.hold = target_port, hold_seconds
        self.mode = "pass"
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def url_for(self, url: str) -> str:
        return url.replace(f"127.0.0.1:{self.target_port}", f"127.0.0.1:{self.port}")

    def silent(self) -> None:
        self.mode = "silent"

    def refusing(self) -> None:
        self.mode = "refuse"
        for held in list(self._sockets):
            _close(held)

    def passing(self) -> None:
        self.mode = "pass"

    def close(self) -> None:
        self._listener.close()
        for held in list(self._sockets):
            _close(held)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.mode == "refuse":
                _close(client)
                continue
            self._sockets.append(client)
            if self.mode == "silent":
                threading.Thread(target=self._swallow, args=(client, None), daemon=True).start()
                continue
            server = socket.create_connection(("127.0.0.1", self.target_port))
            self._sockets.append(server)
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        while (chunk := _receive(source)) and self.mode == "pass":
            try:
                sink.sendall(chunk)
            except OSError:
                break
        if chunk and self.mode == "silent":  # went silent mid-conversation: hold this connection for good
            self._swallow(source, sink)
        else:
            _close(sink)

    def _swallow(self, source: socket.socket, other: socket.socket | None) -> None:
        """Read and drop, until the hold ends (a real partition eventually resets the connection)."""
        until = time.monotonic() + self.hold
        source.settimeout(0.5)
        while time.monotonic() < until:
            try:
                if not source.recv(65536):
                    break
            except TimeoutError:
                continue
            except OSError:
                break
        for held in (source, other):
            if held is not None:
                _close(held)


def _receive(source: socket.socket) -> bytes:
    try:
        return source.recv(65536)
    except OSError:
        return b""


def _close(held: socket.socket) -> None:
    """Shut before closing: a close alone leaves the connection open while another thread waits on it."""
    for step in (lambda: held.shutdown(socket.SHUT_RDWR), held.close):
        with suppress(OSError):
            step()
