"""The queue's own tools: bulk assign, close and priority on the tickets an operator ticked (each ticket at the
version the queue showed, each in a transaction of its own, every failure reported by ticket), and the
filters an operator saves."""

# No `from __future__ import annotations`: FastAPI must see the annotations of routes as objects.
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.permissions import allowed
from core.errors import HelpdeskError, InvalidInput
from tickets.desk import SqlTicketDesk
from tickets.queue import QueueFilter
from tickets.saved_filters import SqlSavedFilters, clean_query
from web.console import queue_page_for
from web.context import Web, WebContext
from web.session import Signed, SignedIn

router = APIRouter(prefix="/console", include_in_schema=False)
MAX_PICKS = 200  # the queue shows at most 200 tickets

Bulk = Callable[[SqlTicketDesk, str, str, int, dict[str, str]], Awaitable[Any]]
BULK: dict[str, tuple[str, Bulk]] = {  # the form's action: (the permission it needs, what it does to one ticket)
    "assign": ("assign", lambda d, n, who, v, f: d.assign(n, who, f["operator"], v, reason=f["reason"] or None)),
    "close": ("close", lambda d, n, who, v, f: d.close(n, who, v)),
    "set_priority": ("set_priority", lambda d, n, who, v, f: d.set_priority(n, who, f["priority"], f["reason"], v)),
}


@dataclass(frozen=True)
class Outcome:
    """What a bulk action did to one ticket: done, or why not."""

    number: str
    done: bool
    said: str


def _filters_of(query: str) -> tuple[QueueFilter, str]:
    """The queue's filters and search from a saved query string."""
    given = dict(parse_qsl(clean_query(query)))
    return QueueFilter(status=given.get("status"), priority=given.get("priority"), category=given.get("category"),
                       ulb=given.get("ulb"), assignee=given.get("assignee"), sla=given.get("sla")), given.get("q", "")


async def _back(web: WebContext, request: Request, signed: Signed, query: str, **extra: Any) -> HTMLResponse:
    f, q = _filters_of(query)
    return await queue_page_for(web, request, signed, f, q, clean_query(query), **extra)


def _picked(pick: str) -> tuple[str, int]:
    """"HD-000042:7" -> the ticket and the version the queue showed."""
    number, _, version = pick.partition(":")
    if not number.strip() or not version.isascii() or not version.isdigit():
        raise InvalidInput(f"pick: {pick!r} is not a ticket and its version")
    return number.strip().upper(), int(version)


@router.post("/queue/bulk")
async def bulk(
    web: Web, request: Request, signed: SignedIn,
    action: Annotated[str, Form(max_length=32)], pick: Annotated[list[str], Form(max_length=MAX_PICKS)] = [],  # noqa: B006 (FastAPI copies it)
    operator: Annotated[str, Form(max_length=64)] = "", priority: Annotated[str, Form(max_length=4)] = "",
    reason: Annotated[str, Form(max_length=500)] = "", back: Annotated[str, Form(max_length=1000)] = "",
) -> HTMLResponse:
    """Apply one action to every ticked ticket, each at the version the queue showed; report each ticket."""
    if action not in BULK:
        return await _back(web, request, signed, back, status=422,
                           problem=f"action: must be one of {', '.join(BULK)}, not {action!r}")
    if not pick:
        return await _back(web, request, signed, back, status=422, problem="tick at least one ticket first")
    permission, act = BULK[action]
    if not allowed(signed.who, permission):
        return await _back(web, request, signed, back, status=403, problem=f"{action}: not for your role")
    fields = {"operator": operator, "priority": priority, "reason": reason}
    outcomes = []
    for one in dict.fromkeys(pick):
        try:
            number, version = _picked(one)
        except InvalidInput as err:
            outcomes.append(Outcome(one[:40], False, str(err)))
            continue
        try:
            async with web.api.sessions() as s, s.begin():
                await act(SqlTicketDesk(s, web.api.settings, web.api.due), number, signed.who.name, version, fields)
        except HelpdeskError as err:
            outcomes.append(Outcome(number, False, str(err)))
        else:
            outcomes.append(Outcome(number, True, "done"))
    failed = sum(not o.done for o in outcomes)
    return await _back(web, request, signed, back, status=409 if failed and failed == len(outcomes) else 200,
                       report={"action": action.replace("_", " "), "outcomes": outcomes, "failed": failed})


@router.post("/filters")
async def save_filter(
    web: Web, request: Request, signed: SignedIn,
    name: Annotated[str, Form(max_length=200)], query: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Keep the queue's current filters under a name (the same name again replaces them)."""
    try:
        async with web.api.sessions() as s, s.begin():
            saved = await SqlSavedFilters(s, signed.who.name).save(name, query)
    except HelpdeskError as err:
        return await _back(web, request, signed, query, status=422, problem=f"saved filter: {err}")
    return RedirectResponse(f"/console/queue?{saved.query}", status_code=303)


@router.post("/filters/{filter_id}/delete")
async def delete_filter(web: Web, request: Request, filter_id: int,
                        signed: SignedIn) -> Response:
    """Delete one of your saved filters."""
    try:
        async with web.api.sessions() as s, s.begin():
            await SqlSavedFilters(s, signed.who.name).delete(filter_id)
    except HelpdeskError as err:
        return await _back(web, request, signed, "", status=404, problem=f"saved filter: {err}")
    return RedirectResponse("/console/queue", status_code=303)

