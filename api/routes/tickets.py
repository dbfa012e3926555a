"""Ticket routes for operators and tier teams: queue, detail, and every action on a ticket."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Response, UploadFile

from api.deps import Caller, Context, Desk, IfMatch, ReadDesk, ReadSession
from api.permissions import shown_to
from api.privacy import for_viewer
from api.schemas import (
    AssignIn,
    CategoryIn,
    ClaimIn,
    EscalateIn,
    LinkIn,
    MergeIn,
    OptionalTextIn,
    PriorityIn,
    ReasonIn,
    TextIn,
    TicketDetailPublic,
    TicketPublic,
    TicketsPublic,
)
from api.tokens import Principal
from api.validation import kept_upload
from core.errors import InvalidInput
from core.settings import Settings
from tickets.attachments import AttachmentStore
from tickets.queue import QueueFilter, queue_page
from tickets.search import MAX_QUERY, search_page
from tickets.store import Ticket, ticket_of

router = APIRouter(prefix="/api/tickets", tags=["tickets"])  # who may call what: api/rules.py
REPLY_WITH_FILE = "/{number}/reply-with-attachment"
_UPLOAD_OVERHEAD = 64 * 1024


def body_limits(settings: Settings) -> dict[str, int]:
    """The upload route's own request limit: a file, not the 1 MiB JSON cap."""
    return {router.prefix + REPLY_WITH_FILE: settings.attachments_max_bytes + _UPLOAD_OVERHEAD}


def _tagged(response: Response, ticket: Ticket, who: Principal) -> TicketPublic:
    response.headers["ETag"] = f'"{ticket.version}"'
    return for_viewer(who, TicketPublic.of(shown_to(who, ticket)))


@router.get("")
async def queue(
    s: ReadSession, who: Caller,
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
    return for_viewer(who, TicketsPublic(items=[TicketPublic.of(shown_to(who, t)) for t in tickets],
                                         next_cursor=next_cursor))


@router.get("/{number}")
async def detail(number: str, desk: ReadDesk, who: Caller,
                 response: Response) -> TicketDetailPublic:
    """One ticket: the bot transcript, rejected FAQ answers, attachments, messages and audit trail."""
    row = await desk.row(number)
    ticket = shown_to(who, ticket_of(row))
    response.headers["ETag"] = f'"{ticket.version}"'
    return for_viewer(who, TicketDetailPublic.build(ticket, await desk.messages(row.id), await desk.events(row.id)))


@router.post("/{number}/claim")
async def claim(number: str, desk: Desk, who: Caller,
                version: IfMatch, response: Response, body: ClaimIn | None = None) -> TicketPublic:
    """Claim a ticket for yourself; someone else's only with `take_over` (else 409 take_over_required)."""
    body = body or ClaimIn()
    return _tagged(response, await desk.claim(number, who.name, version, take_over=body.take_over,
                                              reason=body.reason), who)


@router.post("/{number}/assign")
async def assign(number: str, body: AssignIn, desk: Desk, who: Caller,
                 version: IfMatch, response: Response) -> TicketPublic:
    """Assign a ticket to an operator or tier-team member; reassigning from someone else needs a reason."""
    return _tagged(response, await desk.assign(number, who.name, body.operator, version, reason=body.reason), who)


@router.post("/{number}/links")
async def link(number: str, body: LinkIn, desk: Desk, who: Caller, response: Response) -> TicketPublic:
    """Link another ticket about the same problem as a duplicate; both stay open."""
    return _tagged(response, await desk.link(number, body.other, who.name), who)


@router.post("/{number}/merge")
async def merge(number: str, body: MergeIn, desk: Desk, who: Caller, version: IfMatch,
                response: Response) -> TicketPublic:
    """Merge this duplicate into another ticket: it is closed, its user is told which ticket tracks their
    problem now, and their later messages on it go there."""
    return _tagged(response, await desk.merge(number, body.into, who.name, version, body.reason), who)


@router.post("/{number}/reply")
async def reply(number: str, body: TextIn, desk: Desk, who: Caller,
                response: Response) -> TicketPublic:
    """Reply to the user: stored on the ticket and delivered to their chat."""
    return _tagged(response, await desk.reply(number, who.name, body.text, None), who)


@router.post(REPLY_WITH_FILE)
async def reply_with_attachment(
    number: str, desk: Desk, who: Caller, ctx: Context, response: Response,
    text: Annotated[str, Form(min_length=1, max_length=4000)],
    file: Annotated[UploadFile, File(description="a photo (JPEG or PNG, up to 5 MB) or a PDF document")],
) -> TicketPublic:
    """Reply to the user with a file (multipart form): sent after the text on WhatsApp and Telegram."""
    store = AttachmentStore(ctx.settings.attachments_dir, ctx.settings.attachments_max_bytes)
    files = await kept_upload(store, file)
    if not files:
        raise InvalidInput("file: must not be empty")
    return _tagged(response, await desk.reply(number, who.name, text, None, files), who)


@router.post("/{number}/notes")
async def note(number: str, body: TextIn, desk: Desk, who: Caller,
               response: Response) -> TicketPublic:
    """Add an internal note (never shown to the user)."""
    return _tagged(response, await desk.note(number, who.name, body.text), who)


@router.post("/{number}/priority")
async def set_priority(number: str, body: PriorityIn, desk: Desk, version: IfMatch, response: Response,
                       who: Caller) -> TicketPublic:
    """Change the priority, with the reason (SLA due times follow)."""
    return _tagged(response, await desk.set_priority(number, who.name, body.priority, body.reason, version), who)


@router.post("/{number}/category")
async def set_category(number: str, body: CategoryIn, desk: Desk, version: IfMatch, response: Response,
                       who: Caller) -> TicketPublic:
    """Change the category, with the reason (the route follows unless escalated)."""
    return _tagged(response, await desk.set_category(number, who.name, body.category, body.reason, version), who)


@router.post("/{number}/escalate")
async def escalate(number: str, body: EscalateIn, desk: Desk, version: IfMatch, response: Response,
                   who: Caller) -> TicketPublic:
    """Escalate to a tier team (Master Trainers, state technical team, vendor)."""
    return _tagged(response, await desk.escalate(number, who.name, body.team, body.reason, version), who)


@router.post("/{number}/wait")
async def wait_on_user(number: str, desk: Desk, version: IfMatch, response: Response,
                       who: Caller) -> TicketPublic:
    """Wait for the user's answer; the SLA clock stops until they reply."""
    return _tagged(response, await desk.wait_on_user(number, who.name, version), who)


@router.post("/{number}/resolve")
async def resolve(number: str, body: OptionalTextIn, desk: Desk, version: IfMatch, response: Response,
                  who: Caller) -> TicketPublic:
    """Resolve the ticket; the user is told, with the optional text."""
    return _tagged(response, await desk.resolve(number, who.name, body.text, version), who)


@router.post("/{number}/close")
async def close(number: str, desk: Desk, version: IfMatch, response: Response,
                who: Caller) -> TicketPublic:
    """Close a resolved ticket."""
    return _tagged(response, await desk.close(number, who.name, version), who)


@router.post("/{number}/reopen")
async def reopen(number: str, body: ReasonIn, desk: Desk, version: IfMatch, response: Response,
                 who: Caller) -> TicketPublic:
    """Reopen a resolved ticket within the reopen window."""
    return _tagged(response, await desk.reopen(number, who.name, body.reason, version), who)
