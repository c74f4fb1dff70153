"""A larger body limit for desk pages than for the public API.

The resident API takes small JSON (`MADOGUCHI_MAX_BODY_BYTES`); desk forms carry long answers and
whole spreadsheets (`madoguchi kb` round trips through the browser), so paths under `/desk/` get
`MADOGUCHI_DESK_MAX_BODY_BYTES` instead. Both are enforced by the same streaming `BodySizeLimit`.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

DESK_PREFIX = "/desk/"


class PathBodyLimit:
    """`BodySizeLimit` with one limit for `/desk/` and another for everything else."""

    def __init__(self, app: ASGIApp, default: int, desk: int) -> None:
        from channels.web.limits import BodySizeLimit  # not at import time: channels.web imports the desk

        self.public, self.desk = BodySizeLimit(app, default), BodySizeLimit(app, desk)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        is_desk = scope["type"] == "http" and str(scope.get("path", "")).startswith(DESK_PREFIX)
        await (self.desk if is_desk else self.public)(scope, receive, send)
