"""The outbox hands each item to one deliverer: the user's next message, or a push worker, never both."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.clock import START
from tickets.models import OutboxRow
from tickets.outbox import SqlOutbox


async def test_an_item_a_worker_has_leased_is_not_taken_by_the_users_next_message(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        outbox = SqlOutbox(session, lambda: START)
        await outbox.enqueue("telegram", "42", "operator_reply", {"number": "HD-000001", "text": "leased"})
        await outbox.enqueue("telegram", "42", "operator_reply", {"number": "HD-000001", "text": "due"})
    async with sessions() as session, session.begin():  # a worker leases the first item for five minutes
        await session.execute(update(OutboxRow).where(OutboxRow.payload["text"].as_string() == "leased")
                              .values(next_attempt_at=START + timedelta(minutes=5)))
    async with sessions() as session, session.begin():
        taken = await SqlOutbox(session, lambda: START).take_for_user("telegram", "42")
    assert [item.payload["text"] for item in taken] == ["due"]
    async with sessions() as session, session.begin():
        assert await SqlOutbox(session, lambda: START).take_for_user("telegram", "42") == []
