"""The operators' console: the queue and the ticket page, with every desk action as a form."""

# No `from __future__ import annotations`: FastAPI must see the annotations of routes as objects.
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from api.permissions import PERMISSIONS, allowed
from core.db import utcnow
from core.errors import HelpdeskError, NotFound
from tickets.desk import PRIORITIES, SqlTicketDesk
from tickets.lifecycle import STATUSES
from tickets.models import OutboxRow
from tickets.priority import CATEGORIES
from tickets.queue import QueueEntry, QueueFilter, queue_page
from tickets.store import Ticket, ticket_of
from web.context import Web, WebContext
from web.render import page
from web.session import Signed, SignedIn

router = APIRouter(prefix="/console", include_in_schema=False)
CANNED = (
    "Thank you for reporting this. We are looking into it and will update you here.",
    "Could you please send a screenshot of the screen where this happens?",
    "This is fixed now. Please log out, log in again and try once more.",
    "We have passed this to the technical team; we will tell you as soon as they answer.",
)


@router.get("")
async def home(signed: SignedIn) -> Response:
    """Operators start at the queue, KB maintainers at the knowledge base."""
    return RedirectResponse("/console/queue" if allowed(signed.who, "queue") else "/console/kb", status_code=303)


def sla_clock(ticket: Ticket | QueueEntry, now: datetime) -> tuple[str, str]:
    """(on_time | at_risk | breached, "2h 05m left" / "1h 10m over") for the response target."""
    due = ticket.response_due_at
    if due is None or ticket.first_response_at is not None:
        return ticket.sla_status, "answered" if ticket.first_response_at else "no target"
    minutes = int((due - now).total_seconds() // 60)
    state = "breached" if minutes < 0 else ticket.sla_status
    hours, rest = divmod(abs(minutes), 60)
    return state, f"{hours}h {rest:02d}m {'over' if minutes < 0 else 'left'}"


async def _queue(web: WebContext, signed: Signed, f: QueueFilter) -> list[tuple[QueueEntry, str, str]]:
    if signed.who.role == "tier":
        f = QueueFilter(**{**f.__dict__, "escalated_to": signed.who.team or "-"})
    async with web.api.readers()() as s:
        tickets, _ = await queue_page(s, f, limit=200)
    now = utcnow()
    return [(t, *sla_clock(t, now)) for t in tickets]


async def _filters(status: str | None = None, priority: str | None = None, category: str | None = None,
                   ulb: str | None = None, assignee: str | None = None, sla: str | None = None) -> QueueFilter:
    def given(value: str | None) -> str | None:
        return value or None
    return QueueFilter(status=given(status), priority=given(priority), category=given(category), ulb=given(ulb),
                       assignee=given(assignee), sla=given(sla))


Filters = Annotated[QueueFilter, Depends(_filters)]


@router.get("/queue")
async def queue(web: Web, request: Request, signed: SignedIn,
                f: Filters) -> HTMLResponse:
    """Active tickets, soonest response due first; the list refreshes itself."""
    try:
        rows, problem = await _queue(web, signed, f), None
    except HelpdeskError as err:
        rows, problem = [], str(err)
    return page(web, request, "queue.html", signed=signed, rows=rows, f=f, problem=problem,
                query=request.url.query, statuses=STATUSES, priorities=PRIORITIES, categories=CATEGORIES)


@router.get("/queue/rows")
async def queue_rows(web: Web, request: Request, signed: SignedIn,
                     f: Filters) -> HTMLResponse:
    """The queue's list alone, for the page's periodic refresh."""
    return page(web, request, "queue_rows.html", signed=signed, rows=await _queue(web, signed, f))


def _deliveries(rows: list[OutboxRow]) -> list[dict[str, Any]]:
    """Each message sent to the user, with its state: queued, delivered, or failed and why."""
    out = []
    for item in rows:
        state = "delivered" if item.delivered_at else ("failed" if item.last_error else "queued")
        out.append({"kind": item.kind, "text": str(item.payload.get("text", "")), "state": state,
                    "error": item.last_error, "attempts": item.attempts, "at": item.delivered_at or item.created_at})
    return out


async def _ticket_page(web: WebContext, request: Request, signed: Signed, number: str, *, status: int = 200,
                       problem: str | None = None, done: str | None = None) -> HTMLResponse:
    async with web.api.sessions() as s:
        desk = SqlTicketDesk(s, web.api.settings, web.api.due)
        row = await desk.row(number)
        ticket = ticket_of(row)
        outbox = list(await s.scalars(select(OutboxRow).where(OutboxRow.ticket_id == row.id).order_by(OutboxRow.id)))
        messages, events = await desk.messages(row.id), await desk.events(row.id)
    state, clock = sla_clock(ticket, utcnow())
    can = {action: signed.who.role in roles for action, roles in PERMISSIONS.items()}
    return page(web, request, "ticket.html", status=status, signed=signed, t=ticket, messages=messages,
                events=events, deliveries=_deliveries(outbox), sla_state=state, clock=clock, problem=problem,
                done=done, can=can, priorities=PRIORITIES, categories=CATEGORIES, teams=web.api.settings.teams,
                canned=CANNED)


@router.get("/tickets/{number}")
async def ticket(web: Web, request: Request, signed: SignedIn,
                 number: str, done: Annotated[str | None, Query(max_length=32)] = None) -> HTMLResponse:
    """One ticket: the conversation, attachments, audit trail and the actions the role allows."""
    return await _ticket_page(web, request, signed, number, done=done if done in ACTIONS else None)


Act = Callable[[SqlTicketDesk, str, Signed, dict[str, str], int | None], Awaitable[Any]]
ACTIONS: dict[str, Act] = {
    "claim": lambda d, n, s, f, v: d.claim(n, s.who.name, v),
    "reply": lambda d, n, s, f, v: d.reply(n, s.who.name, f["text"], None),
    "note": lambda d, n, s, f, v: d.note(n, s.who.name, f["text"]),
    "set_priority": lambda d, n, s, f, v: d.set_priority(n, s.who.name, f["priority"], f["reason"], v),
    "set_category": lambda d, n, s, f, v: d.set_category(n, s.who.name, f["category"], f["reason"], v),
    "escalate": lambda d, n, s, f, v: d.escalate(n, s.who.name, f["team"], f["reason"] or None, v),
    "wait": lambda d, n, s, f, v: d.wait_on_user(n, s.who.name, v),
    "resolve": lambda d, n, s, f, v: d.resolve(n, s.who.name, f["text"] or None, v),
    "reopen": lambda d, n, s, f, v: d.reopen(n, s.who.name, f["reason"], v),
}


def _action_route(action: str, act: Act) -> None:
    async def run(
        web: Web, request: Request, number: str, signed: SignedIn,
        version: Annotated[int | None, Form()] = None, text: Annotated[str, Form(max_length=4000)] = "",
        reason: Annotated[str, Form(max_length=1000)] = "", priority: Annotated[str, Form(max_length=4)] = "",
        category: Annotated[str, Form(max_length=32)] = "", team: Annotated[str, Form(max_length=64)] = "",
    ) -> Response:
        fields = {"text": text, "reason": reason, "priority": priority, "category": category, "team": team}
        try:
            async with web.api.sessions() as s, s.begin():
                desk = SqlTicketDesk(s, web.api.settings, web.api.due)
                await act(desk, number, signed, fields, version)
        except NotFound:
            raise
        except HelpdeskError as err:
            return await _ticket_page(web, request, signed, number, status=409, problem=f"{action}: {err}")
        return RedirectResponse(f"/console/tickets/{number}?done={action}", status_code=303)

    run.__name__ = f"ticket_{action}"
    router.post(f"/tickets/{{number}}/{action}")(run)


for _name, _act in ACTIONS.items():
    _action_route(_name, _act)


@router.get("/attachments/{ref}")
async def attachment(web: Web, ref: str, signed: SignedIn) -> FileResponse:
    """A file a user sent, for showing inline on the ticket page."""
    path = web.attachments.path(ref)
    return FileResponse(path, media_type=web.attachments.mime_of(ref),
                        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"})

