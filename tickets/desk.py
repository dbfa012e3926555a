"""What operators and tier teams do to a ticket. Every change is versioned and audited, and any message
for the user goes into the outbox in the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Tx, insert_every_column, utcnow
from core.errors import ConflictError, InvalidInput, InvalidTransition, NotFound, StaleVersion, TakeOverRequired
from core.settings import Settings
from tickets.attachments import OutgoingFile
from tickets.events import ticket_event
from tickets.handoff import enqueue_handoff
from tickets.lifecycle import next_status
from tickets.models import OutboxRow, TicketEventRow, TicketLinkRow, TicketMessageRow, TicketRow
from tickets.outbox import SqlOutbox
from tickets.priority import CATEGORIES
from tickets.reports import delivery_state
from tickets.routing import route
from tickets.sla import SlaPolicy, due_time
from tickets.store import DueFunction, Ticket, ticket_of

# a user's follow-up, on every such conversation turn: built once
_STATUS_FOR_UPDATE = (
    select(TicketRow.id, TicketRow.status, TicketRow.merged_into)
    .where(TicketRow.number == bindparam("p_number")).with_for_update()
)
_ADD_MESSAGE = insert_every_column(cast(Table, TicketMessageRow.__table__))
# the kind of the newest exchange (the team's reply or the user's message) on ticket p_number: asked on the
# turns of a user with an open ticket, so built once
_LAST_EXCHANGE = (
    select(TicketMessageRow.kind).join(TicketRow, TicketRow.id == TicketMessageRow.ticket_id)
    .where(TicketRow.number == bindparam("p_number"), TicketMessageRow.kind.in_(("reply", "user")))
    .order_by(TicketMessageRow.id.desc()).limit(1)
)
PRIORITIES = ("P1", "P2", "P3", "P4")
MERGE_HOPS = 5  # a merged ticket's follow-ups go to its survivor (merging into a merged ticket is refused)
SLA_STATUSES = ("on_time", "at_risk", "breached")
# what a ticket's own user is told that the users of the tickets merged into it are told too (not internal notes,
# not the merge notice itself)
FOLLOWED = frozenset({"operator_reply", "ticket_escalated", "ticket_waiting", "ticket_resolved"})
Derive = Callable[[TicketRow], dict[str, Any]]  # changes computed from the locked row
AUDITED = ("status", "assignee", "priority", "category", "team", "escalated_to", "sla_status")


@dataclass(frozen=True)
class TicketMessage:
    at: datetime
    author: str
    kind: str
    text: str
    id: int | None = None
    attachments: tuple[dict[str, Any], ...] = ()  # files an operator sent with a reply
    delivery: str | None = None  # a reply's delivery to the user: queued, delivered, failed, or a receipt


@dataclass(frozen=True)
class TicketEvent:
    at: datetime
    actor: str
    action: str
    before: dict[str, Any]
    after: dict[str, Any]
    reason: str | None


def parse_pauses(pauses: list[list[str | None]]) -> list[tuple[datetime, datetime | None]]:
    return [(datetime.fromisoformat(str(a)), datetime.fromisoformat(b) if b else None) for a, b in pauses]


class SqlTicketDesk:
    """Operator actions on tickets inside the caller's transaction."""

    def __init__(self, tx: Tx | AsyncSession, settings: Settings, due: DueFunction | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._sql = Tx.of(tx)
        self._session = session = self._sql.session
        self._settings = settings
        self._due = due
        self._clock = clock  # when changes happen (tests pass a fixed one)
        self._outbox = SqlOutbox(session, clock)

    # -- reading ---------------------------------------------------------------------------------------
    async def row(self, number: str, *, for_update: bool = False) -> TicketRow:
        query = select(TicketRow).where(TicketRow.number == number.upper())
        row = await self._session.scalar(query.with_for_update() if for_update else query)
        if row is None:
            raise NotFound(f"no ticket {number}")
        return row

    async def tracking(self, number: str, *, for_update: bool = False) -> TicketRow:
        """The ticket that tracks this one's problem: itself, or the one it was merged into (along a chain)."""
        row = await self.row(number, for_update=for_update)
        for _ in range(MERGE_HOPS):
            if not row.merged_into:
                break
            row = await self.row(row.merged_into, for_update=for_update)
        return row

    async def messages(self, ticket_id: int) -> list[TicketMessage]:
        """The ticket's messages, each reply with its delivery (core.channel.RECEIPTS where the channel
        reports them) and the files sent with it."""
        query = select(TicketMessageRow).where(TicketMessageRow.ticket_id == ticket_id).order_by(TicketMessageRow.id)
        sent = await self._session.scalars(select(OutboxRow).where(OutboxRow.ticket_id == ticket_id,
                                                                   OutboxRow.message_id.is_not(None)))
        delivery = {item.message_id: delivery_state(item) for item in sent}
        files = await self._session.scalar(select(TicketRow.attachments).where(TicketRow.id == ticket_id)) or []
        return [TicketMessage(m.at, m.author, m.kind, m.text, m.id,
                              tuple(a for a in files if a.get("message") == m.id), delivery.get(m.id))
                for m in await self._session.scalars(query)]

    async def events(self, ticket_id: int) -> list[TicketEvent]:
        query = select(TicketEventRow).where(TicketEventRow.ticket_id == ticket_id).order_by(TicketEventRow.id)
        return [TicketEvent(e.at, e.actor, e.action, dict(e.before), dict(e.after), e.reason)
                for e in await self._session.scalars(query)]

    async def unclosed_not_in(self, numbers: Select[str], limit: int) -> list[Ticket]:
        """Tickets not closed whose number `numbers` does not list, oldest first: a channel's own record of the
        tickets it has taken up (the operators' group's topics) asks which are new to it."""
        query = (select(*TicketRow.__table__.columns)
                 .where(TicketRow.status != "closed", TicketRow.number.is_not(None), TicketRow.number.not_in(numbers))
                 .order_by(TicketRow.id).limit(limit))
        return [ticket_of(row) for row in await self._session.execute(query)]

    async def closed_among(self, numbers: Select[str], limit: int) -> list[str]:
        """The numbers `numbers` lists whose tickets are closed (a channel's topics to close)."""
        query = select(TicketRow.number).where(TicketRow.status == "closed", TicketRow.number.in_(numbers))
        return [number for number in await self._session.scalars(query.limit(limit)) if number is not None]

    # -- the one way a ticket changes: versioned, audited, announced ----------------------------------------
    async def change(
        self, number: str, actor: str, action: str, expected_version: int | None,
        reason: str | None = None, derive: Derive | None = None, **changes: Any,
    ) -> TicketRow:
        """Apply `changes`, and those `derive` computes from the locked row, as one audited version.

        Values that depend on the ticket's current state (its pauses, its team) come from `derive`, so they
        are read under the same lock they are written under.
        """
        row = await self.row(number, for_update=True)
        if expected_version is not None and expected_version != row.version:
            raise StaleVersion(f"ticket {row.number} is at version {row.version}, not {expected_version}; reload it")
        status = next_status(action, row.status)
        if derive is not None:
            changes = {**derive(row), **changes}
        changes.setdefault("status", status)
        before = {k: getattr(row, k) for k in AUDITED if k in changes and getattr(row, k) != changes[k]}
        for key, value in changes.items():
            setattr(row, key, value)
        row.version += 1
        row.updated_at = self._clock()
        after = {k: changes[k] for k in before}
        self._session.add(TicketEventRow(ticket_id=row.id, actor=actor, action=action, before=_jsonable(before),
                                         after=_jsonable(after), reason=reason, at=row.updated_at))
        await self._session.flush()
        await ticket_event(self._session, "ticket.updated", ticket_of(row))
        return row

    async def _deliver(self, row: TicketRow, kind: str, payload: dict[str, Any], message_id: int | None = None) -> None:
        """Queue the message for the ticket's user and, for what FOLLOWED names, once for every other user whose
        ticket was merged into this one: under their own ticket's number and id (so this ticket's receipts stay
        its own user's), with `tracked_as` naming this ticket."""
        await self._outbox.enqueue(row.channel, row.user_id, kind, {"number": row.number, **payload}, row.id,
                                   message_id)
        if kind not in FOLLOWED:
            return
        for merged in await self._merged_users(row):
            await self._outbox.enqueue(merged.channel, merged.user_id, kind,
                                       {**payload, "number": merged.number, "tracked_as": row.number}, merged.id)

    async def _merged_users(self, row: TicketRow) -> list[Any]:
        """A ticket for each user (other than the ticket's own) of the tickets merged into it, directly or along a
        chain of merges (at most MERGE_HOPS): the nearest, oldest one of theirs."""
        found: dict[tuple[str, str], Any] = {(row.channel, row.user_id): None}
        ids = [row.id]
        for _ in range(MERGE_HOPS):
            query = (select(TicketRow.id, TicketRow.number, TicketRow.channel, TicketRow.user_id)
                     .join(TicketLinkRow, TicketLinkRow.ticket_id == TicketRow.id)
                     .where(TicketLinkRow.other_id.in_(ids), TicketLinkRow.kind == "merged",
                            TicketRow.merged_into.is_not(None))
                     .order_by(TicketRow.id))
            merged = list(await self._session.execute(query))
            if not merged:
                break
            for ticket in merged:
                found.setdefault((ticket.channel, ticket.user_id), ticket)
            ids = [ticket.id for ticket in merged]
        return [ticket for ticket in found.values() if ticket is not None]

    async def _add_message(self, row: TicketRow, author: str, kind: str, text: str) -> int:
        message = TicketMessageRow(ticket_id=row.id, author=author, kind=kind, text=text)
        self._session.add(message)
        await self._session.flush()
        return message.id

    def _recompute_due(self, row: TicketRow, priority: str, pauses: list[list[str | None]]) -> dict[str, Any]:
        if self._due is None:
            return {}
        paused = parse_pauses(pauses)
        return {
            "response_due_at": self._due(priority, row.created_at, "response", paused),
            "resolution_due_at": self._due(priority, row.created_at, "resolution", paused),
        }

    # -- actions ---------------------------------------------------------------------------------------
    async def claim(self, number: str, actor: str, expected_version: int | None, *, take_over: bool = False,
                    reason: str | None = None) -> Ticket:
        """Take the ticket yourself. Someone else's ticket is taken over only with `take_over` (the caller
        asked its operator to confirm); otherwise TakeOverRequired names who holds it."""
        return await self.assign(number, actor, actor, expected_version, action="claim", reason=reason,
                                 take_over=take_over)

    async def assign(
        self, number: str, actor: str, operator: str, expected_version: int | None, action: str = "assign",
        reason: str | None = None, *, take_over: bool = False,
    ) -> Ticket:
        """Give the ticket to `operator`. Moving it from someone else needs a reason (a reassignment), and
        taking it for yourself from someone else needs `take_over`; both are checked under the row's lock."""
        operator = operator.strip()
        if not operator:
            raise InvalidInput("operator: must name an operator")
        reason = (reason or "").strip() or None

        def check_owner(row: TicketRow) -> dict[str, Any]:
            holder = row.assignee
            if holder and holder != operator:
                if action == "claim" and not take_over:
                    raise TakeOverRequired(f"ticket {row.number} is assigned to {holder}: confirm that you take "
                                           "it over from them", holder)
                if action == "assign" and reason is None:
                    raise InvalidInput(f"reason: {row.number} is assigned to {holder}; say why it moves to "
                                       f"{operator}")
            return {"status": "escalated"} if row.status == "escalated" else {}

        return ticket_of(await self.change(number, actor, action, expected_version, reason, derive=check_owner,
                                           assignee=operator))

    async def reply(self, number: str, actor: str, text: str, expected_version: int | None,
                    files: tuple[OutgoingFile, ...] = ()) -> Ticket:
        """Answer the user: stored on the ticket and queued for their channel in this transaction, with the
        files (kept in the attachment store already, checked by `tickets.attachments.keep_outgoing`)."""
        text = _required("text", text)
        def first_response(row: TicketRow) -> dict[str, Any]:
            return {} if row.first_response_at else {"first_response_at": self._clock()}

        row = await self.change(number, actor, "reply", expected_version, derive=first_response)
        message_id = await self._add_message(row, actor, "reply", text)
        sent = [{**f.as_attachment(), "by": actor, "message": message_id} for f in files]
        if sent:  # on the ticket, where the console shows (and the access guard finds) its attachments
            row.attachments = [*(row.attachments or []), *sent]
        payload: dict[str, Any] = {"text": text, "author": actor}
        if sent:
            payload["attachments"] = [{k: a[k] for k in ("ref", "kind", "name", "mime")} for a in sent]
        await self._deliver(row, "operator_reply", payload, message_id)
        return ticket_of(row)

    async def note(self, number: str, actor: str, text: str) -> Ticket:
        """An internal note: for the team only, never delivered to the user."""
        text = _required("text", text)
        row = await self.change(number, actor, "note", None)
        self._session.add(TicketMessageRow(ticket_id=row.id, author=actor, kind="note", text=text))
        return ticket_of(row)

    async def set_priority(
        self, number: str, actor: str, priority: str, reason: str, expected_version: int | None
    ) -> Ticket:
        if priority not in PRIORITIES:
            raise InvalidInput(f"priority: must be one of {', '.join(PRIORITIES)}, not {priority!r}")
        row = await self.change(number, actor, "set_priority", expected_version, _required("reason", reason),
                                derive=lambda row: self._recompute_due(row, priority, row.pauses or []),
                                priority=priority, priority_reason=reason)
        return ticket_of(row)

    async def set_category(
        self, number: str, actor: str, category: str, reason: str, expected_version: int | None
    ) -> Ticket:
        if category not in CATEGORIES:
            raise InvalidInput(f"category: must be one of {', '.join(CATEGORIES)}, not {category!r}")
        def team(row: TicketRow) -> dict[str, Any]:  # an escalated ticket stays with its tier team
            return {"team": row.team if row.escalated_to else route(category, self._settings)}

        row = await self.change(number, actor, "set_category", expected_version, _required("reason", reason),
                                derive=team, category=category)
        return ticket_of(row)

    async def escalate(
        self, number: str, actor: str, team: str, reason: str | None, expected_version: int | None
    ) -> Ticket:
        teams = [t.code for t in self._settings.teams]
        if team not in teams:
            raise InvalidInput(f"team: must be one of {', '.join(teams)}, not {team!r}")
        row = await self.change(number, actor, "escalate", expected_version, reason, team=team, escalated_to=team)
        await enqueue_handoff(self._session, self._settings, row)  # bugs and enhancements to the vendor's JIRA
        await self._deliver(row, "ticket_escalated", {"team": team})  # the user hears who has it now
        return ticket_of(row)

    async def mark_sla(
        self, number: str, actor: str, status: str, reason: str | None = None, escalation_level: int | None = None
    ) -> Ticket:
        """Record what the SLA clock reads (on_time, at_risk, breached) and, on a breach, the level reached."""
        if status not in SLA_STATUSES:
            raise InvalidInput(f"sla_status: must be one of {', '.join(SLA_STATUSES)}, not {status!r}")
        level: dict[str, Any] = {} if escalation_level is None else {"escalation_level": escalation_level}
        return ticket_of(await self.change(number, actor, "sla", None, reason, sla_status=status, **level))

    async def wait_on_user(self, number: str, actor: str, expected_version: int | None) -> Ticket:
        """Waiting for the user: the SLA clock stops until they answer."""
        now = self._clock()
        row = await self.change(number, actor, "wait", expected_version, waiting_since=now,
                                derive=lambda row: {"pauses": [*(row.pauses or []), [now.isoformat(), None]]})
        await self._deliver(row, "ticket_waiting", {})  # the user hears that the next move is theirs
        return ticket_of(row)

    async def resume(self, number: str, actor: str) -> Ticket:
        """The user answered: the clock runs again and the due times move by the paused business time."""
        def restarted(row: TicketRow) -> dict[str, Any]:
            pauses = [list(p) for p in row.pauses or []]
            if pauses and pauses[-1][1] is None:
                pauses[-1][1] = self._clock().isoformat()
            status = "escalated" if row.escalated_to else "open"
            return {"status": status, "pauses": pauses, **self._recompute_due(row, row.priority, pauses)}

        row = await self.change(number, actor, "resume", None, derive=restarted, waiting_since=None)
        return ticket_of(row)

    async def add_user_message(self, number: str, user_id: str, text: str) -> str:
        """The user's own follow-up on their ticket; if the team was waiting for it, the clock runs again.
        On a ticket merged into another, it goes to the one that tracks the problem now: returns where it went."""
        row = await self._sql.first(_STATUS_FOR_UPDATE, {"p_number": number.upper()})
        for _ in range(MERGE_HOPS):
            if row is None or not row["merged_into"]:
                break
            number = str(row["merged_into"])
            row = await self._sql.first(_STATUS_FOR_UPDATE, {"p_number": number.upper()})
        if row is None:
            raise NotFound(f"no ticket {number}")
        await self._sql.rowcount(_ADD_MESSAGE, {"p_ticket_id": row["id"], "p_at": self._clock(),
                                                "p_author": f"user:{user_id}", "p_kind": "user", "p_text": text})
        if row["status"] == "waiting_on_user":
            await self.resume(number, f"user:{user_id}")
        return number.upper()

    async def asked_user_last(self, number: str) -> bool:
        """The newest exchange on the ticket is the team's reply to the user, not yet answered."""
        newest = await self._sql.first(_LAST_EXCHANGE, {"p_number": number.upper()})
        return newest is not None and newest["kind"] == "reply"

    async def withdraw_user_message(self, number: str, user_id: str, text: str) -> bool:
        """Take back the user's newest message on the ticket when they say it was about a new problem; the
        audit log keeps that it happened. False if that message is no longer the newest of theirs."""
        row = await self.tracking(number, for_update=True)  # where add_user_message put it
        number, author = str(row.number), f"user:{user_id}"
        newest = await self._session.scalar(
            select(TicketMessageRow).where(TicketMessageRow.ticket_id == row.id, TicketMessageRow.author == author)
            .order_by(TicketMessageRow.id.desc()).limit(1)
        )
        if newest is None or newest.text != text:
            return False
        await self._session.delete(newest)
        await self.change(number, author, "note", None, "the user moved their message to a new problem")
        return True

    async def resolve(self, number: str, actor: str, text: str | None, expected_version: int | None) -> Ticket:
        row = await self.change(number, actor, "resolve", expected_version, resolved_at=self._clock())
        message_id = await self._add_message(row, actor, "reply", text) if text else None
        await self._deliver(row, "ticket_resolved", {"text": text or ""}, message_id)
        return ticket_of(row)

    async def close(self, number: str, actor: str, expected_version: int | None) -> Ticket:
        return ticket_of(await self.change(number, actor, "close", expected_version, closed_at=self._clock()))

    async def reopen(self, number: str, actor: str, reason: str, expected_version: int | None) -> Ticket:
        """Reopen within the window after resolution; later, a follow-up must be a new, linked ticket."""
        window = timedelta(days=self._settings.reopen_days)

        def within_window(row: TicketRow) -> dict[str, Any]:
            if row.merged_into:
                raise InvalidTransition(f"ticket {row.number} was merged into {row.merged_into}; reopen that one")
            if row.resolved_at and self._clock() - row.resolved_at > window:
                raise InvalidTransition(
                    f"ticket {row.number} was resolved more than {self._settings.reopen_days} days ago; "
                    "file a follow-up ticket linked to it instead"
                )
            return {"resolved_at": None, "closed_at": None}

        row = await self.change(number, actor, "reopen", expected_version, _required("reason", reason),
                                derive=within_window)
        return ticket_of(row)

    # -- duplicates ------------------------------------------------------------------------------------
    async def _pair(self, number: str, other: str) -> tuple[TicketRow, TicketRow]:
        first, second = await self.row(number), await self.row(other)
        if first.id == second.id:
            raise InvalidInput(f"other: {first.number} cannot be linked to itself")
        return first, second

    async def _link_row(self, first: TicketRow, second: TicketRow) -> TicketLinkRow | None:
        either = or_(and_(TicketLinkRow.ticket_id == first.id, TicketLinkRow.other_id == second.id),
                     and_(TicketLinkRow.ticket_id == second.id, TicketLinkRow.other_id == first.id))
        return await self._session.scalar(select(TicketLinkRow).where(either))

    async def link(self, number: str, other: str, actor: str) -> Ticket:
        """Link two tickets about the same problem as duplicates: both stay as they are, each names the other."""
        first, second = await self._pair(number, other)
        if await self._link_row(first, second) is not None:
            raise ConflictError(f"other: {first.number} and {second.number} are linked already")
        self._session.add(TicketLinkRow(ticket_id=first.id, other_id=second.id, kind="duplicate", created_by=actor,
                                        created_at=self._clock()))
        changed = {}
        for row, then in sorted(((first, second), (second, first)), key=lambda pair: pair[0].id):  # lock in id order
            changed[row.id] = await self.change(str(row.number), actor, "link", None,
                                                f"linked to {then.number} as a duplicate")
        return ticket_of(changed[first.id])

    async def merge(self, number: str, into: str, actor: str, expected_version: int | None,
                    reason: str | None = None) -> Ticket:
        """Merge the duplicate `number` into `into`, which tracks the problem from now on: the duplicate is
        closed, its user is told (in their language, through their channel) which ticket that is, and their
        later messages on it go there. Returns the duplicate."""
        duplicate, survivor = await self._pair(number, into)
        if survivor.merged_into or survivor.status == "closed":
            held = f"was merged into {survivor.merged_into}" if survivor.merged_into else "is closed"
            raise InvalidTransition(f"into: {survivor.number} {held}; merge into a ticket that is still open")
        why = f"merged into {survivor.number}" + (f": {reason.strip()}" if reason and reason.strip() else "")
        first_id = min(duplicate.id, survivor.id)
        if first_id == survivor.id:
            await self.change(str(survivor.number), actor, "link", None, f"{duplicate.number} merged into this ticket")
        row = await self.change(str(duplicate.number), actor, "merge", expected_version, why,
                                merged_into=survivor.number, closed_at=self._clock())
        if first_id != survivor.id:
            await self.change(str(survivor.number), actor, "link", None, f"{duplicate.number} merged into this ticket")
        link = await self._link_row(duplicate, survivor)
        if link is None:
            self._session.add(TicketLinkRow(ticket_id=duplicate.id, other_id=survivor.id, kind="merged",
                                            created_by=actor, created_at=self._clock()))
        else:
            link.ticket_id, link.other_id, link.kind = duplicate.id, survivor.id, "merged"
        await self._deliver(row, "ticket_merged", {"into": survivor.number})
        return ticket_of(row)

    async def links(self, ticket_id: int) -> list[TicketLink]:
        """The tickets linked to this one, either way, oldest link first."""
        mine = or_(TicketLinkRow.ticket_id == ticket_id, TicketLinkRow.other_id == ticket_id)
        found = list(await self._session.scalars(select(TicketLinkRow).where(mine).order_by(TicketLinkRow.id)))
        ids = {i for link in found for i in (link.ticket_id, link.other_id)} - {ticket_id}
        rows = {r.id: r for r in await self._session.scalars(select(TicketRow).where(TicketRow.id.in_(ids)))}
        out = []
        for link in found:
            other = rows[link.other_id if link.ticket_id == ticket_id else link.ticket_id]
            kind = link.kind if link.kind == "duplicate" else (
                "merged into" if link.ticket_id == ticket_id else "merged from")
            out.append(TicketLink(str(other.number), kind, other.status, other.description, link.created_by,
                                  link.created_at))
        return out


@dataclass(frozen=True)
class TicketLink:
    """Another ticket about the same problem: a "duplicate", or the one this was "merged into" / "merged from"."""

    number: str
    kind: str
    status: str
    description: str
    by: str
    at: datetime


def _required(name: str, value: str | None) -> str:
    if value is None or not value.strip():
        raise InvalidInput(f"{name}: must not be empty")
    return value.strip()


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}


def sla_due(policy: SlaPolicy) -> DueFunction:
    """The due-time function tickets use, on the policy's business calendar (an open pause ends now)."""

    def due(priority: str, start: datetime, kind: str, pauses: list[tuple[datetime, datetime | None]]) -> datetime:
        return due_time(policy, priority, start, "resolution" if kind == "resolution" else "response", pauses,
                        now=utcnow())

    return due
