"""A TCP proxy on 127.0.0.1 in front of a real server that can turn silent: it keeps accepting connections
and reading what is sent, but nothing reaches the server and nothing comes back (a hung or half-partitioned
database). A connection that went silent stays silent; new ones pass again once the proxy does."""

from __future__ import annotations

import socket
import threading
import time

from tests.recorder import free_port


class SilentProxy:
    """`url_for(url)` rewrites a database URL to go through the proxy; `silent()` / `passing()` switch it."""

    def __init__(self, target_port: int, hold_seconds: float = 60.0) -> None:
        self.target_port, self.port, self.hold = target_port, free_port(), hold_seconds
        self.is_silent = False
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def url_for(self, url: str) -> str:
        return url.replace(f"127.0.0.1:{self.target_port}", f"127.0.0.1:{self.port}")

    def silent(self) -> None:
        self.is_silent = True

    def passing(self) -> None:
        self.is_silent = False

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
            self._sockets.append(client)
            if self.is_silent:
                threading.Thread(target=self._swallow, args=(client, None), daemon=True).start()
                continue
            server = socket.create_connection(("127.0.0.1", self.target_port))
            self._sockets.append(server)
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        while (chunk := _receive(source)) and not self.is_silent:
            sink.sendall(chunk)
        if chunk:  # went silent mid-conversation: hold this connection for good
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
            except socket.timeout:
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
    try:
        held.close()
    except OSError:
        pass
