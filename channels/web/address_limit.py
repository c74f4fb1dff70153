"""The web's limit per client address: `MADOGUCHI_RATE_PER_ADDRESS` API requests a minute from one address.

Per-person limits are the city's (`City.admit`), the same for a widget session, a LINE user and a Slack
user. The client address is different: only an HTTP request has one (behind `MADOGUCHI_TRUSTED_PROXIES`, the
one the proxy names), and it is what stops one machine from inventing new sessions without end. So it is
counted here, in the web adapter, with the limiters of `bot.service.limits` (shared through Redis the same
way); requests that fail the schema are counted too, before any session is known (`channels.web.errors`).
"""

from __future__ import annotations

from fastapi import FastAPI, Request

from bot.service.limits import make_limiter
from bot.service.ports import Limiter
from bot.service.shared_redis import redis_client
from knowledge.core.settings import Settings


def address_limiter(settings: Settings) -> Limiter:
    """The per-address limiter of one city's web app (Redis keys under `<prefix>rate:address:`)."""
    return make_limiter(settings, redis_client(settings), "address", settings.rate_per_address)


def install_address_limit(app: FastAPI, settings: Settings) -> None:
    """Give the app its per-address limiter, in its lifespan beside the city's limiters (a bad Redis URL
    stops startup the same way; connecting is lazy, so a Redis that is down does not)."""
    app.state.address_limit = address_limiter(settings)


def count_address(request: Request) -> None:
    """Count one request of the client's address; RateLimitedError (429 with Retry-After) when it is over."""
    limiter: Limiter = request.app.state.address_limit
    limiter.check(request.client.host if request.client else "unknown")
