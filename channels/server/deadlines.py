"""uvicorn's HTTP protocol with deadlines for a request's headers and its body.

uvicorn keeps a connection that sends part of a request open for ever: headers that never end, a body that
never arrives. Each such connection holds a file descriptor and a little memory, so a few thousand of them,
sent slowly from one machine, wear a city's small server down, and a city inside LGWAN often runs
`madoguchi serve` with no proxy in front to cut them off (SECURITY.md, I2). Here each request must send its
headers within `header_seconds` of its first byte (or of the connection, for its first request) and its body
within `body_seconds` after them; past that the client gets 408 if it is still sending headers, and the
connection is closed. A request the application is answering, and a connection idle between requests (left
to uvicorn's keep-alive timeout), have no deadline here.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from channels.web.errors import error_response

# the one error shape, written before any application has seen the request
_BODY = bytes(error_response(408, "the request was sent too slowly").body)
TOO_SLOW = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
            + f"content-length: {len(_BODY)}\r\nconnection: close\r\n\r\n".encode() + _BODY)


class DeadlineProtocol(HttpToolsProtocol):
    """httptools' protocol, as uvicorn runs it, with one timer per request still being received."""

    def __init__(self, *args: Any, header_seconds: float, body_seconds: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_seconds, self.body_seconds = header_seconds, body_seconds
        self.deadline: asyncio.TimerHandle | None = None
        self.receiving_headers = True

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_seconds)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.receiving_headers = True
        if self.deadline is None:
            self._arm(self.header_seconds)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self.receiving_headers = False
        if self.parser.should_upgrade():  # another protocol takes the connection over
            self._disarm()
        else:
            self._arm(self.body_seconds)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self.deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _too_slow(self) -> None:
        """Past the deadline: 408 while the headers are unfinished (no application has seen the request), then
        the connection closes; an application waiting for the body is told the client went away."""
        self.deadline = None
        if self.transport.is_closing():
            return
        if self.receiving_headers:
            self.transport.write(TOO_SLOW)
        self.transport.close()


def deadline_protocol(header_seconds: float, body_seconds: float) -> partial[DeadlineProtocol]:
    """What uvicorn is given as its HTTP protocol: a picklable factory, so that every worker process it spawns
    builds its connections with the same deadlines."""
    return partial(DeadlineProtocol, header_seconds=header_seconds, body_seconds=body_seconds)
