"""The operators' console: the queue and the ticket page, with every desk action as a form."""

# No `from __future__ import annotations`: FastAPI must see the annotations of routes as objects.
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import scope_in_transaction
from api.accounts import WebAccountRow
from api.permissions import PERMISSIONS, allowed
from api.validation import kept_upload
from core.db import utcnow
from core.errors import HelpdeskError, InvalidInput, NotFound, StaleVersion, TakeOverRequired
from core.settings import Settings
from tickets.attachments import OUTGOING_IMAGE_MAX_BYTES
from tickets.calendar import BusinessCalendar
from tickets.canned import SqlCanned
from tickets.desk import PRIORITIES, SqlTicketDesk
from tickets.lifecycle import STATUSES, is_allowed
from tickets.models import OperatorRow, OutboxRow, TicketEventRow, TicketMessageRow, TicketRow
from tickets.priority import CATEGORIES
from tickets.queue import QueueEntry, QueueFilter, queue_page
from tickets.reports import delivery_state
from tickets.saved_filters import SqlSavedFilters
from tickets.search import MAX_QUERY, search_page
from tickets.store import Ticket, ticket_of
from web.context import Web, WebContext
from web.notices import newest_ticket_id
from web.render import page
from web.session import Signed, SignedIn
from web.times import due_in, local

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("")
async def home(signed: SignedIn) -> Response:
    """Operators start at the queue, KB maintainers at the knowledge base."""
    return RedirectResponse("/console/queue" if allowed(signed.who, "queue") else "/console/kb", status_code=303)


def sla_clock(ticket: Ticket | QueueEntry, now: datetime, calendar: BusinessCalendar) -> tuple[str, str]:
    """(on_time | at_risk | breached, "due in 2 business hours" / "overdue by 40 business min") for the
    response target; "answered", "paused" (waiting on the user) or "no target" when there is none to meet."""
    due = ticket.response_due_at
    if ticket.first_response_at is not None:
        return ticket.sla_status, "answered"
    if ticket.status == "waiting_on_user":
        return ticket.sla_status, "paused: waiting on the user"
    if due is None:
        return ticket.sla_status, "no target"
    return ("breached" if due < now else ticket.sla_status), due_in(due, now, calendar)


async def _replied(s: AsyncSession, numbers: list[str]) -> set[str]:
    """The tickets whose newest message from the user came after the newest reply to them."""
    if not numbers:
        return set()
    last_user = func.max(case((TicketMessageRow.kind == "user", TicketMessageRow.id), else_=0))
    last_reply = func.max(case((TicketMessageRow.kind == "reply", TicketMessageRow.id), else_=0))
    query = (select(TicketRow.number).join(TicketMessageRow, TicketMessageRow.ticket_id == TicketRow.id)
             .where(TicketRow.number.in_(numbers)).group_by(TicketRow.number).having(last_user > last_reply))
    return {str(n) for n in await s.scalars(query)}


QueueRow = tuple[QueueEntry, str, str, bool]  # the ticket, SLA state, SLA text, whether the user replied


async def queue_rows_of(web: WebContext, signed: Signed, f: QueueFilter, q: str = "") -> list[QueueRow]:
    """The queue's rows for these filters or this search, as the signed-in account may see them."""
    if signed.who.role == "tier":
        f = QueueFilter(**{**f.__dict__, "escalated_to": signed.who.team or "-"})
    async with web.api.readers()() as s:
        if q.strip():
            tickets, _ = await search_page(s, q, f, limit=SEARCH_PAGE)
        else:
            tickets, _ = await queue_page(s, f, limit=200)
        replied = await _replied(s, [t.number for t in tickets])
    now = utcnow()
    return [(t, *sla_clock(t, now, web.calendar), t.number in replied) for t in tickets]


async def _filters(status: str | None = None, priority: str | None = None, category: str | None = None,
                   ulb: str | None = None, assignee: str | None = None, sla: str | None = None) -> QueueFilter:
    def given(value: str | None) -> str | None:
        return value or None
    return QueueFilter(status=given(status), priority=given(priority), category=given(category), ulb=given(ulb),
                       assignee=given(assignee), sla=given(sla))


Filters = Annotated[QueueFilter, Depends(_filters)]
Search = Annotated[str, Query(max_length=MAX_QUERY)]
SEARCH_PAGE = 50


@router.get("/queue")
async def queue(web: Web, request: Request, signed: SignedIn,
                f: Filters, q: Search = "") -> HTMLResponse:
    """Active tickets, soonest response due first, or what a search finds; the list refreshes itself."""
    return await queue_page_for(web, request, signed, f, q, request.url.query)


async def queue_page_for(web: WebContext, request: Request, signed: Signed, f: QueueFilter, q: str, query: str,
                         *, status: int = 200, problem: str | None = None, **extra: Any) -> HTMLResponse:
    """The queue page for these filters (`query`: their query string), with what a bulk action or a saved
    filter reports (`extra`)."""
    try:
        rows = await queue_rows_of(web, signed, f, q)
    except HelpdeskError as err:
        rows, problem = [], str(err)
    async with web.api.readers()() as s:
        saved = await SqlSavedFilters(s, signed.who.name).all()
        people = await assignees(s, None) if allowed(signed.who, "bulk") else []
    return page(web, request, "queue.html", status=status, signed=signed, rows=rows, f=f, q=q.strip(),
                problem=problem, now=utcnow(), since=await newest_ticket_id(web),
                notices=allowed(signed.who, "notifications"), query=query, statuses=STATUSES, priorities=PRIORITIES,
                categories=CATEGORIES, saved=saved, bulk=allowed(signed.who, "bulk"), assignees=people,
                **{"report": None, **extra})


@router.get("/queue/rows")
async def queue_rows(web: Web, request: Request, signed: SignedIn,
                     f: Filters, q: Search = "") -> HTMLResponse:
    """The queue's list alone, for the page's periodic refresh."""
    rows = await queue_rows_of(web, signed, f, q)
    return page(web, request, "queue_rows.html", signed=signed, rows=rows, q=q.strip(), now=utcnow(),
                bulk=allowed(signed.who, "bulk"))


def _deliveries(rows: list[OutboxRow]) -> list[dict[str, Any]]:
    """Each message sent to the user, with its state: queued, delivered, failed and why, or what the channel
    reported after (WhatsApp's sent, delivered, read)."""
    out = []
    for item in rows:
        text = str(item.payload.get("text") or (f"now followed up in {item.payload['into']}"
                                                 if item.payload.get("into") else ""))
        out.append({"kind": item.kind, "text": text, "state": delivery_state(item),
                    "error": item.receipt_error or item.last_error, "attempts": item.attempts,
                    "at": item.receipt_at or item.delivered_at or item.created_at})
    return out


CHANNEL_NAMES = {"whatsapp": "WhatsApp", "telegram": "Telegram", "web": "the web chat", "voice": "the phone line"}
FILES_REACH_USER = frozenset({"whatsapp", "telegram"})  # channels whose senders deliver a reply's files


def _unreachable(events: list[Any]) -> Any:
    """The newest `unreachable` event, unless a `reachable` one came after it (channels report both)."""
    said = [e for e in events if e.action in ("unreachable", "reachable")]
    return said[-1] if said and said[-1].action == "unreachable" else None


@dataclass(frozen=True)
class Attempt:
    """An action the operator tried that did not apply: what they typed, and for a conflict, what changed."""

    action: str
    fields: dict[str, str]
    changes: list[str] = field(default_factory=list)  # who changed what since the page was loaded
    conflict: bool = False
    holder: str | None = None  # a claim of this person's ticket, waiting for the operator to confirm it


@dataclass(frozen=True)
class Assignee:
    """Someone a ticket can be given to, and whether they are at work now (from the operators' roster)."""

    name: str
    role: str
    team: str | None
    shift: str  # "on shift", "away", "off shift", or "no shift recorded" (an account not on the roster)

    @property
    def working(self) -> bool:
        return self.shift == "on shift"


async def assignees(s: AsyncSession, escalated_to: str | None) -> list[Assignee]:
    """Who may hold the ticket: the L1 operators, and the members of the tier team it is escalated to (no
    other team can see it), from the operators' roster and the active console accounts; on shift first."""
    def fits(role: str, team: str | None) -> bool:
        return role in ("operator", "admin") or (role == "tier" and escalated_to is not None and team == escalated_to)

    found: dict[str, Assignee] = {}
    for o in await s.scalars(select(OperatorRow)):
        if fits(o.role, o.team):
            shift = "away" if o.away else ("on shift" if o.on_shift else "off shift")
            found[o.name] = Assignee(o.name, o.role, o.team, shift)
    accounts = select(WebAccountRow.name, WebAccountRow.role, WebAccountRow.team).where(
        WebAccountRow.disabled_at.is_(None), WebAccountRow.role.in_(("operator", "tier")))
    for name, role, team in await s.execute(accounts):
        if name not in found and fits(role, team):
            found[name] = Assignee(name, role, team, "no shift recorded")
    return sorted(found.values(), key=lambda a: (not a.working, a.shift == "away", a.name.casefold()))


def _change_said(event: TicketEventRow, zone: str) -> str:
    """'arjun claimed it at 2 Dec 2026, 11:05 IST (assignee: nobody → arjun)'."""
    what = ", ".join(f"{k}: {event.before.get(k) or 'nobody'} → {v or 'nobody'}" for k, v in event.after.items())
    said = f"{event.actor} did “{event.action.replace('_', ' ')}” at {local(event.at, zone)}"
    return said + (f" ({what})" if what else "") + (f": {event.reason}" if event.reason else "")


async def _events_since(s: AsyncSession, ticket_id: int, seen: int | None) -> list[TicketEventRow]:
    query = select(TicketEventRow).where(TicketEventRow.ticket_id == ticket_id, TicketEventRow.id > (seen or 0))
    return list(await s.scalars(query.order_by(TicketEventRow.id)))


def _resolved_by(events: list[Any]) -> str | None:
    done = [e for e in events if e.action in ("resolve", "close")]
    return done[-1].actor if done else None


async def _ticket_page(web: WebContext, request: Request, signed: Signed, number: str, *, status: int = 200,
                       problem: str | None = None, done: str | None = None,
                       attempt: Attempt | None = None) -> HTMLResponse:
    async with web.api.sessions() as s:
        desk = SqlTicketDesk(s, web.api.settings, web.api.due)
        row = await desk.row(number)
        ticket = ticket_of(row)
        outbox = list(await s.scalars(select(OutboxRow).where(OutboxRow.ticket_id == row.id).order_by(OutboxRow.id)))
        messages, events = await desk.messages(row.id), await desk.events(row.id)
        seen = await s.scalar(select(func.max(TicketEventRow.id)).where(TicketEventRow.ticket_id == row.id))
        others = list(await s.execute(
            select(TicketRow.number, TicketRow.status, TicketRow.description, TicketRow.created_at)
            .where(TicketRow.channel == row.channel, TicketRow.user_id == row.user_id, TicketRow.id != row.id,
                   *([TicketRow.escalated_to == signed.who.team] if signed.who.role == "tier" else []))
            .order_by(TicketRow.id.desc()).limit(10)))
        links = await desk.links(row.id)
        if signed.who.role == "tier":  # a tier team sees only the linked tickets escalated to it
            theirs = select(TicketRow.number).where(TicketRow.number.in_([link.number for link in links]),
                                                    TicketRow.escalated_to == signed.who.team)
            visible = set(await s.scalars(theirs))
            links = [link for link in links if link.number in visible]
        canned = [c.text_in(row.language, number=str(row.number), name=signed.who.name)
                  for c in await SqlCanned(s).all()]
        people = await assignees(s, row.escalated_to)
    state, clock = sla_clock(ticket, utcnow(), web.calendar)
    # offered: what the role may do and the ticket's status allows (the desk refuses the rest anyway)
    can = {action: signed.who.role in roles and is_allowed(action, ticket.status)
           for action, roles in PERMISSIONS.items()}
    can["reopen"] = can["reopen"] and not ticket.merged_into  # the ticket it was merged into is the live one
    typed = {attempt.action: attempt.fields.get("text") or attempt.fields.get("reason", "")} if attempt else {}
    return page(web, request, "ticket.html", status=status, signed=signed, t=ticket, messages=messages,
                events=events, deliveries=_deliveries(outbox), sla_state=state, clock=clock, problem=problem,
                unreachable=_unreachable(events), channel_name=CHANNEL_NAMES.get(ticket.channel, ticket.channel),
                max_upload_mb=web.attachments.max_bytes // (1024 * 1024), max_upload_bytes=web.attachments.max_bytes,
                max_photo_bytes=min(OUTGOING_IMAGE_MAX_BYTES, web.attachments.max_bytes),
                files_reach_user=ticket.channel in FILES_REACH_USER,
                done=done, can=can, priorities=PRIORITIES, categories=CATEGORIES, teams=web.api.settings.teams,
                canned=canned, seen=seen or 0, now=utcnow(), attempt=attempt, typed=typed,
                resolved_by=_resolved_by(events), others=others, links=links, assignees=people)


@router.get("/tickets/{number}")
async def ticket(web: Web, request: Request, signed: SignedIn,
                 number: str, done: Annotated[str | None, Query(max_length=32)] = None) -> HTMLResponse:
    """One ticket: the conversation, attachments, audit trail and the actions the role allows."""
    return await _ticket_page(web, request, signed, number, done=done if done in ACTIONS else None)


Act = Callable[[SqlTicketDesk, str, Signed, dict[str, str], int | None], Awaitable[Any]]
ACTIONS: dict[str, Act] = {
    "claim": lambda d, n, s, f, v: d.claim(n, s.who.name, v, take_over=f["take_over"] == "yes",
                                           reason=f["reason"] or None),
    "assign": lambda d, n, s, f, v: d.assign(n, s.who.name, f["operator"], v, reason=f["reason"] or None),
    "link": lambda d, n, s, f, v: d.link(n, f["other"], s.who.name),
    "merge": lambda d, n, s, f, v: d.merge(n, f["into"], s.who.name, v, f["reason"] or None),
    "reply": lambda d, n, s, f, v: d.reply(n, s.who.name, f["text"], None),
    "note": lambda d, n, s, f, v: d.note(n, s.who.name, f["text"]),
    "set_priority": lambda d, n, s, f, v: d.set_priority(n, s.who.name, f["priority"], f["reason"], v),
    "set_category": lambda d, n, s, f, v: d.set_category(n, s.who.name, f["category"], f["reason"], v),
    "escalate": lambda d, n, s, f, v: d.escalate(n, s.who.name, f["team"], f["reason"] or None, v),
    "wait": lambda d, n, s, f, v: d.wait_on_user(n, s.who.name, v),
    "resolve": lambda d, n, s, f, v: d.resolve(n, s.who.name, _required_note(f["text"]), v),
    "close": lambda d, n, s, f, v: d.close(n, s.who.name, v),
    "reopen": lambda d, n, s, f, v: d.reopen(n, s.who.name, f["reason"], v),
}


_UPLOAD_OVERHEAD = 64 * 1024  # the form's other fields and multipart boundaries around a file


def body_limits(settings: Settings) -> dict[str, int]:
    """The reply form's own request limit: a file, not the 1 MiB cap."""
    return {"/console/tickets/{number}/reply": settings.attachments_max_bytes + _UPLOAD_OVERHEAD}


def _required_note(text: str) -> str:
    """The console asks for the resolution note the user receives (the API still takes none)."""
    if not text.strip():
        raise InvalidInput("the resolution note: write what was done; the user receives it")
    return text.strip()


def _action_route(action: str, act: Act) -> None:
    async def run(
        web: Web, request: Request, number: str, signed: SignedIn,
        version: Annotated[int | None, Form()] = None, seen: Annotated[int | None, Form()] = None,
        text: Annotated[str, Form(max_length=4000)] = "", reason: Annotated[str, Form(max_length=1000)] = "",
        priority: Annotated[str, Form(max_length=4)] = "", category: Annotated[str, Form(max_length=32)] = "",
        team: Annotated[str, Form(max_length=64)] = "", operator: Annotated[str, Form(max_length=64)] = "",
        take_over: Annotated[str, Form(max_length=3)] = "", other: Annotated[str, Form(max_length=32)] = "",
        into: Annotated[str, Form(max_length=32)] = "",
        file: Annotated[UploadFile | None, File(description="a photo or PDF sent with a reply")] = None,
    ) -> Response:
        fields = {"text": text, "reason": reason, "priority": priority, "category": category, "team": team,
                  "operator": operator, "take_over": take_over, "other": other, "into": into}
        try:
            files = await kept_upload(web.attachments, file) if action == "reply" else ()
            async with web.api.sessions() as s, s.begin():
                await scope_in_transaction(request, s)  # the ticket is still the team's, in this transaction
                desk = SqlTicketDesk(s, web.api.settings, web.api.due)
                row = await desk.row(number)
                try:
                    if files:
                        await desk.reply(number, signed.who.name, text, None, files)
                    else:
                        await act(desk, number, signed, fields, version)
                except StaleVersion as err:
                    changed = [_change_said(e, web.api.settings.timezone)
                               for e in await _events_since(s, row.id, seen)]
                    raise _Conflict(changed) from err
        except NotFound as err:
            if action in ("link", "merge"):  # the other ticket named in the form, not this page's
                return await _ticket_page(web, request, signed, number, status=404, problem=f"{action}: {err}",
                                          attempt=Attempt(action, fields))
            raise
        except TakeOverRequired as err:
            return await _ticket_page(web, request, signed, number, status=409, problem=str(err),
                                      attempt=Attempt(action, fields, holder=err.holder))
        except _Conflict as conflict:
            attempt = Attempt(action, fields, conflict.changes, conflict=True)
            return await _ticket_page(web, request, signed, number, status=409, attempt=attempt,
                                      problem=f"{action.replace('_', ' ')}: not applied; the ticket changed "
                                              "since you opened it")
        except HelpdeskError as err:
            return await _ticket_page(web, request, signed, number, status=409, problem=f"{action}: {err}",
                                      attempt=Attempt(action, fields))
        return RedirectResponse(f"/console/tickets/{number}?done={action}", status_code=303)

    run.__name__ = f"ticket_{action}"
    router.post(f"/tickets/{{number}}/{action}")(run)


class _Conflict(Exception):
    def __init__(self, changes: list[str]) -> None:
        super().__init__("the ticket changed")
        self.changes = changes


for _name, _act in ACTIONS.items():
    _action_route(_name, _act)


@router.get("/attachments/{ref}")
async def attachment(web: Web, ref: str, signed: SignedIn) -> FileResponse:
    """A file a user sent, for showing inline on the ticket page."""
    path = web.attachments.path(ref)
    return FileResponse(path, media_type=web.attachments.mime_of(ref),
                        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"})

