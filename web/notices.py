"""The queue's live notices: tickets filed since the operator opened the queue, and their unread
notifications (SLA at risk or breached), polled by the queue page and marked read from it."""

# No `from __future__ import annotations`: FastAPI must see the annotations of routes as objects.
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from api.permissions import inboxes
from tickets.models import TicketRow
from tickets.notifications import SqlNotifications
from web.context import Web, WebContext
from web.render import page
from web.session import Signed, SignedIn

router = APIRouter(prefix="/console", include_in_schema=False)


async def newest_ticket_id(web: WebContext) -> int:
    """The id the queue page starts counting new tickets from."""
    async with web.api.readers()() as s:
        return int(await s.scalar(select(func.max(TicketRow.id))) or 0)


async def _notices(web: Web, request: Request, signed: Signed, since: int) -> HTMLResponse:
    async with web.api.sessions() as s:
        query = select(func.count()).select_from(TicketRow).where(TicketRow.id > since)
        if signed.who.role == "tier":
            query = query.where(TicketRow.escalated_to == (signed.who.team or "-"))
        new = int(await s.scalar(query) or 0)
        unread = await SqlNotifications(s).unread(inboxes(signed.who, web.api.settings), limit=10)
    return page(web, request, "queue_notices.html", signed=signed, new=new, unread=unread, since=since)


@router.get("/queue/notices")
async def notices(web: Web, request: Request, signed: SignedIn,
                  since: Annotated[int, Query(ge=0)] = 0) -> HTMLResponse:
    """New tickets since the queue was opened, and the operator's unread notifications."""
    return await _notices(web, request, signed, since)


@router.post("/notifications/{notification_id}/read")
async def mark_read(web: Web, request: Request, notification_id: int,
                    signed: SignedIn,
                    since: Annotated[int, Query(ge=0)] = 0) -> HTMLResponse:
    """Mark a notification read; answers with the notices as they are now."""
    async with web.api.sessions() as s, s.begin():
        await SqlNotifications(s).mark_read(notification_id, inboxes(signed.who, web.api.settings))
    return await _notices(web, request, signed, since)
