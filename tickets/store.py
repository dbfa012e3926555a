"""Storing and reading tickets and deflections."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import datetime
from operator import attrgetter
from typing import Any, Protocol, cast

from sqlalchemy import ColumnElement, Row, Select, Table, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Tx, insert_every_column, utcnow
from core.errors import NotFound
from tickets.events import ticket_event
from tickets.lifecycle import ACTIVE
from tickets.models import DeflectionRow, TicketRow
from tickets.sla import DueFunction as DueFunction
from tickets.ticket import Ticket as Ticket
from tickets.ticket import TicketDraft as TicketDraft

_LIST_FIELDS = ("attachments", "transcript", "faq_offered", "faq_rejected", "pauses")


_TICKET_FIELDS = tuple(f.name for f in fields(Ticket))
_read_ticket_fields = attrgetter(*_TICKET_FIELDS)


def ticket_of(row: TicketRow | Row[Any] | Mapping[str, Any]) -> Ticket:
    """The immutable view of a ticket row (an ORM one, or a Core row or mapping of the tickets table's columns)."""
    if isinstance(row, Row | Mapping):
        mapping = row._asdict() if isinstance(row, Row) else row
        values = {name: mapping[name] for name in _TICKET_FIELDS}
        number = mapping["number"]
    else:
        values = dict(zip(_TICKET_FIELDS, _read_ticket_fields(row), strict=True))
        number = row.number
    for name in _LIST_FIELDS:
        values[name] = list(values[name] or [])
    values["number"] = number or ""
    return Ticket(**values)


def _users_latest(*conditions: ColumnElement[bool]) -> Select[Any]:
    """The newest ticket of user p_user of channel p_channel meeting `conditions`: asked on every conversation
    turn, so built once (Core rows of every column, as ticket_of takes them)."""
    return (
        select(*TicketRow.__table__.columns)
        .where(TicketRow.channel == bindparam("p_channel"), TicketRow.user_id == bindparam("p_user"), *conditions)
        .order_by(TicketRow.id.desc())
        .limit(1)
    )


_TRACKER = cast(Table, TicketRow.__table__).alias("tracker")
# the user's newest ticket the helpdesk works on: their own, or one merged into a ticket the helpdesk works on
_LATEST_ACTIVE = (_users_latest(or_(TicketRow.status.in_(ACTIVE), _TRACKER.c.status.in_(ACTIVE)))
                  .outerjoin(_TRACKER, _TRACKER.c.number == TicketRow.merged_into))
_BY_NUMBER = select(*TicketRow.__table__.columns).where(TicketRow.number == bindparam("p_number"))
_TICKETS = cast(Table, TicketRow.__table__)
# Filing, a conversation turn's: every column is given, from the draft and
# _AT_FILING; numbered once the database has given the row its id.
_FILE = insert_every_column(_TICKETS, leaving_out=("id", "number")).returning(_TICKETS.c.id)
_NUMBER = (
    update(_TICKETS).where(_TICKETS.c.id == bindparam("p_id")).values(number=bindparam("p_number"))
    .returning(*_TICKETS.columns)
)
_AT_FILING: dict[str, Any] = {  # what no draft says: empty columns, and the defaults a new ticket starts with
    **{column.key: None for column in _TICKETS.columns
       if column.nullable and column.default is None and column.key != "number"},
    "status": "new", "version": 1, "sla_status": "on_time", "escalation_level": 0,
}
_RECORD_DEFLECTION = insert_every_column(cast(Table, DeflectionRow.__table__))
_LATEST_UNRATED = _users_latest(TicketRow.status == "resolved", TicketRow.csat_fixed.is_(None))


class TicketStore(Protocol):
    async def file(self, draft: TicketDraft) -> Ticket: ...
    async def get(self, number: str) -> Ticket: ...
    async def recent(self, limit: int = 50) -> list[Ticket]: ...
    async def for_user(self, channel: str, user_id: str, limit: int = 10) -> list[Ticket]: ...
    async def record_deflection(
        self, channel: str, user_id: str, entry_id: str, description: str, ulb: str | None
    ) -> None: ...
    async def count_deflections(self) -> int: ...
    async def deflection_counts(self, entry_ids: list[str]) -> dict[str, int]: ...
    async def latest_active(self, channel: str, user_id: str) -> Ticket | None: ...
    async def latest_resolved_unrated(self, channel: str, user_id: str) -> Ticket | None: ...
    async def descriptions(self, limit: int = 5000, escalated_to: str | None = None) -> list[str]: ...


class SqlTicketStore:
    """Tickets in the SQL database, inside the caller's transaction."""

    def __init__(self, tx: Tx | AsyncSession, prefix: str = "HD", due: DueFunction | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._sql = Tx.of(tx)
        self._session = self._sql.session
        self._prefix = prefix
        self._due = due
        self._clock = clock  # the filing time (tests pass a fixed one)

    async def file(self, draft: TicketDraft) -> Ticket:
        """Insert the ticket with its SLA due times; its number comes from the database's own identity."""
        now = self._clock()
        values = {**_AT_FILING, "created_at": now, "updated_at": now, "pauses": []}
        values.update((f.name, getattr(draft, f.name)) for f in fields(draft))  # asdict deep-copied the transcript
        if self._due is not None:
            values["response_due_at"] = self._due(draft.priority, now, "response", [])
            values["resolution_due_at"] = self._due(draft.priority, now, "resolution", [])
        inserted = await self._sql.first(_FILE, {f"p_{key}": value for key, value in values.items()})
        assert inserted is not None  # INSERT ... RETURNING
        number = f"{self._prefix}-{inserted['id']:06d}"
        row = await self._sql.first(_NUMBER, {"p_id": inserted["id"], "p_number": number})
        assert row is not None
        ticket = ticket_of(row)
        await ticket_event(self._sql, "ticket.created", ticket)
        return ticket

    async def get(self, number: str) -> Ticket:
        row = await self._sql.first(_BY_NUMBER, {"p_number": number.upper()})
        if row is None:
            raise NotFound(f"no ticket {number}")
        return ticket_of(row)

    async def recent(self, limit: int = 50) -> list[Ticket]:
        rows = await self._session.scalars(select(TicketRow).order_by(TicketRow.id.desc()).limit(limit))
        return [ticket_of(r) for r in rows]

    async def for_user(self, channel: str, user_id: str, limit: int = 10) -> list[Ticket]:
        query = (
            select(TicketRow)
            .where(TicketRow.channel == channel, TicketRow.user_id == user_id)
            .order_by(TicketRow.id.desc())
            .limit(limit)
        )
        return [ticket_of(r) for r in await self._session.scalars(query)]

    async def record_deflection(
        self, channel: str, user_id: str, entry_id: str, description: str, ulb: str | None
    ) -> None:
        await self._sql.rowcount(_RECORD_DEFLECTION, {
            "p_channel": channel, "p_user_id": user_id, "p_entry_id": entry_id, "p_description": description,
            "p_ulb": ulb, "p_created_at": self._clock(),
        })

    async def latest_active(self, channel: str, user_id: str) -> Ticket | None:
        """The user's newest ticket that the helpdesk is still working on, if any: one merged into another that
        it is working on counts (as it stands: closed, naming the ticket it was merged into)."""
        row = await self._sql.first(_LATEST_ACTIVE, {"p_channel": channel, "p_user": user_id})
        return None if row is None else ticket_of(row)

    async def latest_resolved_unrated(self, channel: str, user_id: str) -> Ticket | None:
        """The user's newest resolved ticket they have not yet said is fixed or not."""
        row = await self._sql.first(_LATEST_UNRATED, {"p_channel": channel, "p_user": user_id})
        return None if row is None else ticket_of(row)

    async def count_deflections(self) -> int:
        return int(await self._session.scalar(select(func.count()).select_from(DeflectionRow)) or 0)

    async def deflection_counts(self, entry_ids: list[str]) -> dict[str, int]:
        """How many problems each of these entries solved (entries that solved none are left out)."""
        query = (select(DeflectionRow.entry_id, func.count()).where(DeflectionRow.entry_id.in_(entry_ids))
                 .group_by(DeflectionRow.entry_id))
        return {entry_id: int(n) for entry_id, n in await self._session.execute(query)}

    async def descriptions(self, limit: int = 5000, escalated_to: str | None = None) -> list[str]:
        """Descriptions of filed tickets (the problems the FAQ did not deflect), newest first; with
        `escalated_to`, only of tickets escalated to that team."""
        query = select(TicketRow.description).order_by(TicketRow.id.desc()).limit(limit)
        if escalated_to is not None:
            query = query.where(TicketRow.escalated_to == escalated_to)
        return list(await self._session.scalars(query))
