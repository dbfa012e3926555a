"""Round-robin assignment of new tickets to L1 operators who are on shift and not away.

The operator assigned longest ago (never assigned first) gets the next ticket. Operator rows are taken
with FOR UPDATE SKIP LOCKED, so two tickets assigned at the same moment go to two different operators.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from core.settings import Settings
from tickets.desk import SqlTicketDesk
from tickets.models import OperatorRow

ACTOR = "auto-assign"


async def auto_assign(session: AsyncSession, ticket_number: str, settings: Settings) -> str | None:
    """Assign the ticket to the next available operator; returns who holds it now.

    None when auto-assignment is off (`settings.auto_assign`) or nobody is available. A ticket that
    already has an assignee is left with them (and their name returned).
    """
    if not settings.auto_assign:
        return None
    desk = SqlTicketDesk(session, settings)
    ticket = await desk.row(ticket_number, for_update=True)
    if ticket.assignee:
        return ticket.assignee
    query = (
        select(OperatorRow)
        .where(OperatorRow.role == "operator", OperatorRow.on_shift.is_(True), OperatorRow.away.is_(False))
        .order_by(OperatorRow.last_assigned_at.asc().nulls_first(), OperatorRow.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    operator = await session.scalar(query)
    if operator is None:
        return None
    operator.last_assigned_at = utcnow()
    await desk.assign(ticket_number, ACTOR, operator.name, None)
    return operator.name
