"""LINE for residents: a signed webhook in, replies (and late pushes) out through line-bot-sdk v3.

The route is declared here and its work lives in `webhook`, which loads line-bot-sdk (about 60 MB in each
worker): with the first LINE request, so a city that does not use LINE never loads it.
"""

from fastapi import APIRouter, BackgroundTasks, Request

router = APIRouter()


@router.post("/callback/line", include_in_schema=False)
async def callback(request: Request, background: BackgroundTasks) -> dict[str, bool]:
    """Reject anything not signed with the channel secret; otherwise acknowledge and work afterwards."""
    from channels.line.webhook import callback as receive

    return await receive(request, background)


__all__ = ["router"]
