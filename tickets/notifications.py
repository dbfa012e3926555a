"""Notifications for operators: what they must know (an SLA at risk or breached) until they read it.

A recipient is an operator's name, or a team's shared inbox `team:<code>` (the L1 desk's is
`team:<settings.l1_team>`). Reading a team notification marks it read for the whole team.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import is_row_id, utcnow
from core.errors import NotFound
from tickets.models import NotificationRow, TicketRow


@dataclass(frozen=True)
class Notification:
    id: int
    recipient: str
    ticket_number: str | None
    kind: str
    text: str
    created_at: datetime
    read_at: datetime | None


def team_inbox(team: str) -> str:
    """The shared inbox of a team."""
    return f"team:{team}"


class SqlNotifications:
    """Notifications inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def notify(self, recipient: str, kind: str, text: str, ticket_id: int | None = None) -> None:
        self._session.add(NotificationRow(recipient=recipient, kind=kind, text=text, ticket_id=ticket_id,
                                          created_at=utcnow()))

    async def unread(self, recipients: Sequence[str], limit: int = 100) -> list[Notification]:
        """Unread notifications for any of `recipients`, newest first."""
        query = (
            select(NotificationRow, TicketRow.number)
            .outerjoin(TicketRow, TicketRow.id == NotificationRow.ticket_id)
            .where(NotificationRow.recipient.in_(list(recipients)), NotificationRow.read_at.is_(None))
            .order_by(NotificationRow.id.desc())
            .limit(limit)
        )
        return [_notification(row, number) for row, number in (await self._session.execute(query)).all()]

    async def mark_read(self, notification_id: int, recipients: Sequence[str]) -> Notification:
        """Mark one of the recipients' notifications read; NotFound for anyone else's (or a missing one)."""
        if not is_row_id(notification_id):
            raise NotFound(f"no notification {notification_id}")
        query = (
            select(NotificationRow, TicketRow.number)
            .outerjoin(TicketRow, TicketRow.id == NotificationRow.ticket_id)
            .where(NotificationRow.id == notification_id, NotificationRow.recipient.in_(list(recipients)))
        )
        found = (await self._session.execute(query)).first()
        if found is None:
            raise NotFound(f"no notification {notification_id}")
        row, number = found
        if row.read_at is None:
            row.read_at = utcnow()
        return _notification(row, number)


def _notification(row: NotificationRow, number: str | None) -> Notification:
    return Notification(row.id, row.recipient, number, row.kind, row.text, row.created_at, row.read_at)
