"""The call-center desk: server-rendered pages under /desk for agents, editors and administrators.

Each desk module makes its router with `channels.desk.render.desk_subrouter()`, guards every route
with `channels.desk.auth.require_role(...)`, renders with `channels.desk.render.page(...)`, and adds
one `include_router` line below. Pages read and change the city through `channels.desk.render.city(request)`
(its store's services are `City.desk`); this worker's sign-in limiter, publisher, learner and drafter come
from `channels.desk.worker.worker(request)`. Nothing here imports `channels.web`: adapters never import each
other, and the server (`channels.server.app`) mounts both.
"""

from channels.desk import (
                           admin,
                           calls,
                           drafts,
                           entries,
                           escalation,
                           insights,
                           kb,
                           labelling,
                           learned,
                           login,
                           queue,
                           search,
)
from channels.desk.render import DeskRoute, DeskRouter

desk_router = DeskRouter(prefix="/desk", route_class=DeskRoute, include_in_schema=False)
desk_router.add_api_route("", queue.queue_page, methods=["GET"])
desk_router.include_router(login.router)
desk_router.include_router(escalation.router)
desk_router.include_router(drafts.router)
desk_router.include_router(admin.router)
desk_router.include_router(entries.router)
desk_router.include_router(kb.router)
desk_router.include_router(insights.router)
desk_router.include_router(labelling.router)
desk_router.include_router(learned.router)
desk_router.include_router(search.router)
desk_router.include_router(calls.router)

__all__ = ["desk_router"]
