"""What channels report after sending (core.channel.ChannelReports): an outbox item's receipt, and a user
who cannot be reached (or can again), recorded on their tickets as `unreachable` / `reachable` events.

Channels call these inside their own transaction; they never write ticket tables themselves. A user who can be
reached again gets what was given up on meanwhile (an operator's question still wants its answer).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.channel import RECEIPTS
from core.db import utcnow
from tickets.delivery import DEAD
from tickets.models import OutboxRow, TicketEventRow, TicketRow

RANK = {status: rank for rank, status in enumerate(RECEIPTS)}


def delivery_state(item: OutboxRow) -> str:
    """How far an outbox item got: the channel's newest receipt, else queued, delivered, or failed."""
    if item.receipt:
        return item.receipt
    return "delivered" if item.delivered_at else ("failed" if item.last_error else "queued")


class SqlChannelReports:
    """`core.channel.ChannelReports` inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def receipt(self, outbox_id: int, status: str, error: str | None = None) -> bool:
        if status not in RANK:
            return False
        row = await self._session.get(OutboxRow, outbox_id, with_for_update=True)
        if row is None or (row.receipt is not None and RANK[status] <= RANK.get(row.receipt, -1)):
            return False
        row.receipt, row.receipt_at, row.receipt_error = status, utcnow(), error
        return True

    async def unreachable(self, channel: str, user_id: str, reason: str) -> int:
        return await self._tell(channel, user_id, reachable=False, reason=reason)

    async def reachable(self, channel: str, user_id: str, reason: str) -> int:
        """Also puts back what was given up on while the user could not be reached: it goes to them now."""
        await self._session.execute(
            update(OutboxRow).where(OutboxRow.channel == channel, OutboxRow.user_id == user_id,
                                    OutboxRow.delivered_at.is_(None), OutboxRow.next_attempt_at >= DEAD)
            .values(next_attempt_at=utcnow(), attempts=0))
        return await self._tell(channel, user_id, reachable=True, reason=reason)

    async def attachment(self, number: str, attachment: dict[str, str]) -> bool:
        row = await self._session.scalar(select(TicketRow).where(TicketRow.number == number).with_for_update())
        if row is None or any(a.get("ref") == attachment["ref"] for a in row.attachments or []):
            return False
        row.attachments = [*(row.attachments or []), attachment]
        return True

    async def _tell(self, channel: str, user_id: str, *, reachable: bool, reason: str) -> int:
        tickets = list(await self._session.scalars(
            select(TicketRow.id).where(TicketRow.channel == channel, TicketRow.user_id == user_id,
                                       TicketRow.status != "closed")))
        action = "reachable" if reachable else "unreachable"
        for ticket_id in tickets:
            self._session.add(TicketEventRow(ticket_id=ticket_id, at=utcnow(), actor=channel, action=action,
                                             before={}, after={"reachable": reachable}, reason=reason))
        return len(tickets)
