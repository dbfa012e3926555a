"""The outbox: messages for users, written in the same transaction as the change that caused them.

Pull channels (the console, the HTTP chat) take a user's pending items when that user next talks to the
bot; push channels (Telegram) are drained by a delivery worker that claims due items with
`FOR UPDATE SKIP LOCKED`, so any number of workers can run without sending an item twice at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.channel import OutboxItem
from core.db import utcnow
from tickets.models import OutboxRow

MAX_BACKOFF = timedelta(minutes=30)


__all__ = ["OutboxItem", "SqlOutbox", "backoff"]


def _item(row: OutboxRow) -> OutboxItem:
    return OutboxItem(row.id, row.channel, row.user_id, row.kind, dict(row.payload or {}), row.attempts)


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: 5 s, 10 s, 20 s, ... capped at 30 minutes."""
    return min(timedelta(seconds=5 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


class SqlOutbox:
    """The outbox table inside the caller's transaction."""

    def __init__(self, session: AsyncSession, clock: Callable[[], datetime] = utcnow) -> None:
        self._session = session
        self._clock = clock  # what "now" is for due times (tests pass a fixed one)

    async def enqueue(
        self, channel: str, user_id: str, kind: str, payload: dict[str, Any], ticket_id: int | None = None,
        message_id: int | None = None,
    ) -> None:
        """Queue an item; `message_id` names the ticket message it carries (its receipt shows on it)."""
        self._session.add(OutboxRow(channel=channel, user_id=user_id, kind=kind, payload=payload,
                                    ticket_id=ticket_id, message_id=message_id, attempts=0,
                                    next_attempt_at=self._clock()))

    # SQL: whether `take_for_user` would find anything for user p_user of channel p_channel at p_now, to be
    # asked inside another statement (the conversation upsert, flows.store; built once, bound per turn)
    PENDING_FOR_USER: ColumnElement[bool] = exists().where(
        OutboxRow.channel == bindparam("p_channel"), OutboxRow.user_id == bindparam("p_user"),
        OutboxRow.delivered_at.is_(None), OutboxRow.next_attempt_at <= bindparam("p_now"))

    async def take_for_user(self, channel: str, user_id: str) -> list[OutboxItem]:
        """A user's due items, oldest first, marked delivered in this transaction (the user's next message
        carries them); items a push worker has leased are left to it."""
        now = self._clock()
        # only due items: one a delivery worker has leased (due later) is being sent already
        query = (
            select(OutboxRow)
            .where(OutboxRow.channel == channel, OutboxRow.user_id == user_id, OutboxRow.delivered_at.is_(None),
                   OutboxRow.next_attempt_at <= now)
            .order_by(OutboxRow.id)
            .with_for_update(skip_locked=True)
        )
        rows = list(await self._session.scalars(query))
        for row in rows:
            row.delivered_at, row.attempts = now, row.attempts + 1
        return [_item(r) for r in rows]

    async def claim_due(self, channels: list[str], limit: int = 50, now: datetime | None = None) -> list[OutboxItem]:
        """Due items of push channels, locked for this worker until its transaction ends."""
        query = (
            select(OutboxRow)
            .where(OutboxRow.channel.in_(channels), OutboxRow.delivered_at.is_(None),
                   OutboxRow.next_attempt_at <= (now or self._clock()))
            .order_by(OutboxRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_item(r) for r in await self._session.scalars(query)]

    async def delivered(self, item_id: int) -> None:
        """Mark an item delivered; once only, so a sender that marks its own item in the transaction of its
        effect (the JIRA hand-off) and the worker marking it after do not count two attempts."""
        await self._session.execute(
            update(OutboxRow).where(OutboxRow.id == item_id, OutboxRow.delivered_at.is_(None))
            .values(delivered_at=self._clock(), attempts=OutboxRow.attempts + 1, last_error=None)
        )

    async def failed(self, item: OutboxItem, error: str) -> None:
        attempts = item.attempts + 1
        await self._session.execute(
            update(OutboxRow).where(OutboxRow.id == item.id)
            .values(attempts=attempts, last_error=error[:1000], next_attempt_at=self._clock() + backoff(attempts))
        )
