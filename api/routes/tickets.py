"""Ticket routes for operators and tier teams: queue, detail, and every action on a ticket."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.deps import Desk, IfMatch, ReadDesk, ReadSession, require
from api.permissions import can_see, shown_to
from api.schemas import (
    AssignIn,
    CategoryIn,
    EscalateIn,
    OptionalTextIn,
    PriorityIn,
    ReasonIn,
    TextIn,
    TicketDetailPublic,
    TicketPublic,
    TicketsPublic,
)
from api.tokens import Principal
from core.errors import NotFound
from tickets.desk import SqlTicketDesk
from tickets.queue import QueueFilter, queue_page
from tickets.search import MAX_QUERY, search_page
from tickets.store import Ticket, ticket_of

router = APIRouter(prefix="/api/tickets", tags=["tickets"])


async def _visible(desk: SqlTicketDesk, number: str, who: Principal) -> None:
    """404 for a ticket the caller may not see, exactly as for one that does not exist."""
    row = await desk.row(number)
    if not can_see(who, row.escalated_to):
        raise NotFound(f"no ticket {number}")


def _tagged(response: Response, ticket: Ticket, who: Principal | None = None) -> TicketPublic:
    response.headers["ETag"] = f'"{ticket.version}"'
    return TicketPublic.of(shown_to(who, ticket) if who else ticket)


@router.get("")
async def queue(
    s: ReadSession, who: Annotated[Principal, Depends(require("queue"))],
    status: str | None = None, priority: str | None = None, team: str | None = None, ulb: str | None = None,
    category: str | None = None, assignee: str | None = None,
    sla: Annotated[str | None, Query(description="at_risk or breached")] = None,
    q: Annotated[str | None, Query(max_length=MAX_QUERY, description=(
        "search: a ticket number, a user id, or words in the description and messages (any status "
        "unless `status` is given); results best match first"))] = None,
    cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TicketsPublic:
    """The queue, soonest SLA due first (active tickets unless `status` says otherwise), or search results."""
    scope = who.team if who.role == "tier" else None
    filters = QueueFilter(status, priority, team, ulb, category, assignee, sla, escalated_to=scope)
    if who.role == "tier" and scope is None:
        return TicketsPublic(items=[], next_cursor=None)
    if q and q.strip():
        tickets, next_cursor = await search_page(s, q, filters, cursor, limit)
    else:
        tickets, next_cursor = await queue_page(s, filters, cursor, limit)
    return TicketsPublic(items=[TicketPublic.of(shown_to(who, t)) for t in tickets], next_cursor=next_cursor)


@router.get("/{number}")
async def detail(number: str, desk: ReadDesk, who: Annotated[Principal, Depends(require("view"))],
                 response: Response) -> TicketDetailPublic:
    """One ticket: the bot transcript, rejected FAQ answers, attachments, messages and audit trail."""
    await _visible(desk, number, who)
    row = await desk.row(number)
    ticket = shown_to(who, ticket_of(row))
    response.headers["ETag"] = f'"{ticket.version}"'
    return TicketDetailPublic.build(ticket, await desk.messages(row.id), await desk.events(row.id))


@router.post("/{number}/claim")
async def claim(number: str, desk: Desk, who: Annotated[Principal, Depends(require("claim"))],
                version: IfMatch, response: Response) -> TicketPublic:
    """Claim a ticket for yourself."""
    await _visible(desk, number, who)
    return _tagged(response, await desk.claim(number, who.name, version), who)


@router.post("/{number}/assign")
async def assign(number: str, body: AssignIn, desk: Desk, who: Annotated[Principal, Depends(require("assign"))],
                 version: IfMatch, response: Response) -> TicketPublic:
    """Assign a ticket to an operator."""
    return _tagged(response, await desk.assign(number, who.name, body.operator, version))


@router.post("/{number}/reply")
async def reply(number: str, body: TextIn, desk: Desk, who: Annotated[Principal, Depends(require("reply"))],
                response: Response) -> TicketPublic:
    """Reply to the user: stored on the ticket and delivered to their chat."""
    await _visible(desk, number, who)
    return _tagged(response, await desk.reply(number, who.name, body.text, None), who)


@router.post("/{number}/notes")
async def note(number: str, body: TextIn, desk: Desk, who: Annotated[Principal, Depends(require("note"))],
               response: Response) -> TicketPublic:
    """Add an internal note (never shown to the user)."""
    await _visible(desk, number, who)
    return _tagged(response, await desk.note(number, who.name, body.text), who)


@router.post("/{number}/priority")
async def set_priority(number: str, body: PriorityIn, desk: Desk, version: IfMatch, response: Response,
                       who: Annotated[Principal, Depends(require("set_priority"))]) -> TicketPublic:
    """Change the priority, with the reason (SLA due times follow)."""
    return _tagged(response, await desk.set_priority(number, who.name, body.priority, body.reason, version))


@router.post("/{number}/category")
async def set_category(number: str, body: CategoryIn, desk: Desk, version: IfMatch, response: Response,
                       who: Annotated[Principal, Depends(require("set_category"))]) -> TicketPublic:
    """Change the category, with the reason (the route follows unless escalated)."""
    await _visible(desk, number, who)
    return _tagged(response, await desk.set_category(number, who.name, body.category, body.reason, version), who)


@router.post("/{number}/escalate")
async def escalate(number: str, body: EscalateIn, desk: Desk, version: IfMatch, response: Response,
                   who: Annotated[Principal, Depends(require("escalate"))]) -> TicketPublic:
    """Escalate to a tier team (Master Trainers, state technical team, vendor)."""
    await _visible(desk, number, who)
    return _tagged(response, await desk.escalate(number, who.name, body.team, body.reason, version), who)


@router.post("/{number}/wait")
async def wait_on_user(number: str, desk: Desk, version: IfMatch, response: Response,
                       who: Annotated[Principal, Depends(require("wait"))]) -> TicketPublic:
    """Wait for the user's answer; the SLA clock stops until they reply."""
    await _visible(desk, number, who)
    return _tagged(response, await desk.wait_on_user(number, who.name, version), who)


@router.post("/{number}/resolve")
async def resolve(number: str, body: OptionalTextIn, desk: Desk, version: IfMatch, response: Response,
                  who: Annotated[Principal, Depends(require("resolve"))]) -> TicketPublic:
    """Resolve the ticket; the user is told, with the optional text."""
    await _visible(desk, number, who)
    return _tagged(response, await desk.resolve(number, who.name, body.text, version), who)


@router.post("/{number}/close")
async def close(number: str, desk: Desk, version: IfMatch, response: Response,
                who: Annotated[Principal, Depends(require("close"))]) -> TicketPublic:
    """Close a resolved ticket."""
    return _tagged(response, await desk.close(number, who.name, version))


@router.post("/{number}/reopen")
async def reopen(number: str, body: ReasonIn, desk: Desk, version: IfMatch, response: Response,
                 who: Annotated[Principal, Depends(require("reopen"))]) -> TicketPublic:
    """Reopen a resolved ticket within the reopen window."""
    return _tagged(response, await desk.reopen(number, who.name, body.reason, version))
