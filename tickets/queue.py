"""The operators' queue: filtered, ordered by SLA due time, paged with an opaque cursor (keyset, so a
page costs the same at ticket 100 and at ticket 100,000)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput
from core.inputs import checked_moment, checked_text
from tickets.lifecycle import ACTIVE_SQL, STATUSES
from tickets.models import TicketRow

FAR_FUTURE = datetime.fromisoformat("9999-12-31T00:00:00+00:00")


@dataclass(frozen=True)
class QueueFilter:
    status: str | None = None  # None: every active status
    priority: str | None = None
    team: str | None = None
    ulb: str | None = None
    category: str | None = None
    assignee: str | None = None
    sla: str | None = None  # at_risk | breached
    escalated_to: str | None = None  # set for tier teams: only their tickets


@dataclass(frozen=True)
class QueueEntry:
    """A ticket as a queue lists it: no transcript, attachments or history (the detail view reads those)."""

    number: str
    status: str
    priority: str
    priority_reason: str
    category: str
    module: str
    ulb: str | None
    channel: str
    user_id: str
    language: str
    team: str
    assignee: str | None
    escalated_to: str | None
    description: str
    created_at: datetime | None
    updated_at: datetime | None
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_response_at: datetime | None
    sla_status: str
    version: int
    jira_key: str | None


ENTRY_COLUMNS = [TicketRow.__table__.c[f.name] for f in fields(QueueEntry)]


def encode_cursor(ticket: QueueEntry) -> str:
    due = (ticket.response_due_at or FAR_FUTURE).isoformat()
    return base64.urlsafe_b64encode(json.dumps([due, ticket.number]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        due, number = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        moment = checked_moment(datetime.fromisoformat(due), "cursor")
        return moment, checked_text(str(number), "cursor")
    except InvalidInput:
        raise
    except (ValueError, TypeError, RecursionError) as err:
        raise InvalidInput("cursor: not a cursor this API returned") from err


def filtered(query: Select[Any], f: QueueFilter, *, every_status: bool = False) -> Select[Any]:
    """`query` narrowed by the filter; without a status, active tickets only unless `every_status`."""
    if f.status is not None and f.status not in STATUSES:
        raise InvalidInput(f"status: must be one of {', '.join(STATUSES)}")
    if f.sla is not None and f.sla not in ("at_risk", "breached"):
        raise InvalidInput("sla: must be at_risk or breached")
    if f.status:
        query = query.where(TicketRow.status == f.status)
    elif not every_status:
        query = query.where(text(ACTIVE_SQL))
    for column, value in ((TicketRow.priority, f.priority), (TicketRow.team, f.team), (TicketRow.ulb, f.ulb),
                          (TicketRow.category, f.category), (TicketRow.assignee, f.assignee),
                          (TicketRow.sla_status, f.sla), (TicketRow.escalated_to, f.escalated_to)):
        if value is not None:
            query = query.where(column == value)
    return query


async def queue_page(
    session: AsyncSession, f: QueueFilter, cursor: str | None = None, limit: int = 50
) -> tuple[list[QueueEntry], str | None]:
    """One page of the queue, soonest due first, and the cursor of the next page (None at the end)."""
    query = filtered(select(*ENTRY_COLUMNS), f)  # Core rows of the listed columns: no ORM, no JSON to decode
    if cursor:
        due, number = decode_cursor(cursor)
        query = query.where(or_(TicketRow.response_due_at > due,
                                and_(TicketRow.response_due_at == due, TicketRow.number > number)))
    query = query.order_by(TicketRow.response_due_at, TicketRow.number).limit(limit + 1)
    # on the session's connection: a Core select through Session.execute pays for the ORM's compile step
    tickets = [QueueEntry(*r) for r in await (await session.connection()).execute(query)]
    more = len(tickets) > limit
    tickets = tickets[:limit]
    return tickets, encode_cursor(tickets[-1]) if more and tickets else None
