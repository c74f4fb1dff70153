"""Security headers on every response: a strict Content-Security-Policy, nosniff, a referrer policy and,
over TLS, HSTS.

Our own pages (the demo page, the widget's files, the desk) run no inline script or style, so the policy
has no 'unsafe-inline'. `frame-ancestors` names the city sites allowed to frame our pages, except the
staff desk, which no site may frame (a compromised city page must not clickjack an agent). The API docs pages
serve Swagger UI / ReDoc from our own origin (no CDN) and carry one inline block, allowed by its hash.
TLS is read from the ASGI scheme, set from `X-Forwarded-Proto` only when the request comes from one of
`MADOGUCHI_TRUSTED_PROXIES` (default none). Redirects to this same site go out as paths, so a Host header a
client made up never comes back in a Location (a cache in front would keep it for everyone).
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit, urlunsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE = {"default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self' data:",
        "connect-src": "'self'", "font-src": "'self'", "object-src": "'none'", "base-uri": "'none'",
        "form-action": "'self'"}
# Swagger UI / ReDoc files are ours (fastapi-offline); only their inline block is hashed
DOCS = {"worker-src": "blob:"}
DOC_PAGES = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})
DESK = "/desk"
HSTS = "max-age=31536000"
_INLINE = re.compile(rb"<(script|style)>(.*?)</\1>", re.S)


def policy(frame_ancestors: str, extra: dict[str, str] | None = None) -> str:
    """The CSP header value: our page policy, widened by `extra` sources per directive."""
    directives = dict(PAGE)
    for name, sources in (extra or {}).items():
        directives[name] = f"{directives.get(name, '')} {sources}".strip()
    directives["frame-ancestors"] = frame_ancestors
    return "; ".join(f"{name} {sources}" for name, sources in directives.items())


def inline_hashes(html: bytes) -> dict[str, str]:
    """'sha256-…' sources for each inline <script> and <style> block of a page we generated ourselves."""
    found: dict[str, list[str]] = {"script-src": [], "style-src": []}
    for tag, content in _INLINE.findall(html):
        digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
        found[f"{tag.decode()}-src"].append(f"'sha256-{digest}'")
    return {name: " ".join(sources) for name, sources in found.items() if sources}


class SecurityHeaders:
    """ASGI middleware adding the headers to every HTTP response (routes may set their own CSP first)."""

    def __init__(self, app: ASGIApp, frame_ancestors: str, hsts: bool) -> None:
        self.app, self.frame_ancestors, self.hsts = app, frame_ancestors, hsts
        self.page_policy, self.desk_policy = policy(frame_ancestors), policy("'none'")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] in DOC_PAGES:
            await self._docs_page(scope, receive, send)
            return
        path = scope["path"]
        csp = self.desk_policy if path == DESK or path.startswith(DESK + "/") else self.page_policy

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._add(message, scope, csp)
            await send(message)

        await self.app(scope, receive, with_headers)

    async def _docs_page(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Buffered (a small page made from our own settings) so its inline blocks can be hashed."""
        start: Message = {}
        chunks: list[bytes] = []

        async def collect(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, collect)
        body = b"".join(chunks)
        extra = {name: f"{DOCS.get(name, '')} {hashes}" for name, hashes in inline_hashes(body).items()}
        self._add(start, scope, policy(self.frame_ancestors, {**DOCS, **extra}))
        await send(start)
        await send({"type": "http.response.body", "body": body})

    def _add(self, message: Message, scope: Scope, csp: str) -> None:
        headers = MutableHeaders(scope=message)
        headers.setdefault("content-security-policy", csp)
        headers.setdefault("x-content-type-options", "nosniff")
        headers.setdefault("referrer-policy", "strict-origin-when-cross-origin")
        if self.hsts and scope.get("scheme") == "https":
            headers.setdefault("strict-transport-security", HSTS)
        if "location" in headers:
            headers["location"] = relative_location(headers["location"], Headers(scope=scope).get("host", ""))


def relative_location(location: str, host: str) -> str:
    """A redirect to the host the request named, as a path (never `//…`, which a browser reads as a host)."""
    target = urlsplit(location)
    if not target.netloc or target.netloc.lower() != host.lower():
        return location
    return urlunsplit(("", "", "/" + target.path.lstrip("/"), target.query, target.fragment))
