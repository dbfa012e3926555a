"""The delivery worker: each due item sent, retried with backoff, given up on, never sent twice at once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.clock import START
from tickets.delivery import DEAD, LEASE, Backlog, DeliveryError, DeliveryResult, backlog, deliver_due, run_forever
from tickets.models import OutboxRow
from tickets.outbox import OutboxItem, SqlOutbox

Sessions = async_sessionmaker[AsyncSession]
LATER = timedelta(hours=2)  # past any backoff of the first few attempts


@dataclass
class Channel:
    """A push channel stand-in: records what it is asked to send and fails as scripted."""

    failures: list[Exception] = field(default_factory=list)
    delay: float = 0.0
    sent: list[int] = field(default_factory=list)

    async def send(self, item: OutboxItem) -> None:
        await asyncio.sleep(self.delay)
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(item.id)


async def _enqueue(sessions: Sessions, count: int = 1, channel: str = "push", user: str = "u1") -> None:
    async with sessions() as session, session.begin():
        for n in range(count):
            await SqlOutbox(session, lambda: START).enqueue(channel, user, "note", {"n": n})


async def _row(sessions: Sessions, item_id: int) -> OutboxRow:
    async with sessions() as session:
        row = await session.get(OutboxRow, item_id)
        assert row is not None
        return row


async def test_a_due_item_is_sent_once_and_marked_delivered(sessions: Sessions) -> None:
    await _enqueue(sessions)
    channel = Channel()
    first = await deliver_due(sessions, {"push": channel}, now=START)
    again = await deliver_due(sessions, {"push": channel}, now=START + LATER)
    assert first.delivered == (1,) and again.delivered == ()
    assert channel.sent == [1]
    row = await _row(sessions, 1)
    assert row.delivered_at is not None and row.attempts == 1 and row.last_error is None


async def test_a_retryable_failure_is_tried_again_after_a_backoff(sessions: Sessions) -> None:
    await _enqueue(sessions)
    channel = Channel(failures=[DeliveryError("HTTP 503", retryable=True)])
    failed = await deliver_due(sessions, {"push": channel}, now=START)
    too_soon = await deliver_due(sessions, {"push": channel}, now=START)
    row = await _row(sessions, 1)
    assert failed.retrying == (1,) and too_soon == DeliveryResult()
    assert row.attempts == 1 and row.last_error == "HTTP 503" and row.next_attempt_at > START
    later = await deliver_due(sessions, {"push": channel}, now=START + LATER)
    assert later.delivered == (1,) and channel.sent == [1]


async def test_a_permanent_failure_is_given_up_at_once_keeping_the_error(sessions: Sessions) -> None:
    await _enqueue(sessions)
    channel = Channel(failures=[DeliveryError("HTTP 410 gone", retryable=False)])
    result = await deliver_due(sessions, {"push": channel}, now=START)
    row = await _row(sessions, 1)
    assert result.dead == (1,)
    assert row.delivered_at is None and row.next_attempt_at == DEAD
    assert row.last_error == "gave up after 1 attempt(s): HTTP 410 gone"
    assert (await deliver_due(sessions, {"push": channel}, now=START + timedelta(days=365))).dead == ()


async def test_an_item_is_given_up_after_the_last_allowed_attempt(sessions: Sessions) -> None:
    await _enqueue(sessions)
    channel = Channel(failures=[DeliveryError("timeout", retryable=True) for _ in range(3)])
    outcomes = [await deliver_due(sessions, {"push": channel}, now=START + LATER * n, max_attempts=3)
                for n in range(1, 4)]
    assert [o.retrying for o in outcomes] == [(1,), (1,), ()]
    assert outcomes[-1].dead == (1,)
    assert (await _row(sessions, 1)).last_error == "gave up after 3 attempt(s): timeout"


async def test_a_crashing_sender_is_retried_and_the_worker_goes_on(sessions: Sessions) -> None:
    await _enqueue(sessions, 2, user="u1")
    await _enqueue(sessions, 1, user="u2")
    channel = Channel(failures=[RuntimeError("bug in sender")])
    result = await deliver_due(sessions, {"push": channel}, now=START)
    assert len(result.retrying) == 1 and len(result.delivered) == 2
    assert "RuntimeError: bug in sender" in ((await _row(sessions, result.retrying[0])).last_error or "")


async def test_items_of_channels_without_a_sender_wait_for_theirs(sessions: Sessions) -> None:
    await _enqueue(sessions, channel="telegram")
    await _enqueue(sessions, channel="webhook")
    webhook = Channel()
    await deliver_due(sessions, {"webhook": webhook}, now=START)
    assert webhook.sent == [2]
    assert (await _row(sessions, 1)).delivered_at is None


async def test_one_recipients_items_are_sent_in_order(sessions: Sessions) -> None:
    await _enqueue(sessions, 5)
    channel = Channel()
    await deliver_due(sessions, {"push": channel}, now=START)
    assert channel.sent == [1, 2, 3, 4, 5]


async def test_two_workers_at_once_send_each_item_once(sessions: Sessions) -> None:
    for user in ("a", "b", "c", "d"):
        await _enqueue(sessions, 3, user=user)
    channel = Channel(delay=0.02)
    results = await asyncio.gather(*(deliver_due(sessions, {"push": channel}, now=START) for _ in range(2)))
    assert sorted(channel.sent) == list(range(1, 13))
    assert sorted(results[0].delivered + results[1].delivered) == list(range(1, 13))


async def test_a_worker_that_dies_mid_send_leaves_the_item_to_come_due_after_its_lease(sessions: Sessions) -> None:
    await _enqueue(sessions)
    stuck = Channel(delay=60)
    worker = asyncio.create_task(deliver_due(sessions, {"push": stuck}, now=START))
    await asyncio.sleep(0.3)
    worker.cancel()
    rescuer = Channel()
    assert (await deliver_due(sessions, {"push": rescuer}, now=START)).delivered == ()
    assert (await deliver_due(sessions, {"push": rescuer}, now=START + LEASE)).delivered == (1,)
    assert rescuer.sent == [1]


async def test_the_worker_delivers_until_stopped(sessions: Sessions) -> None:
    stop = asyncio.Event()
    channel = Channel()
    worker = asyncio.create_task(run_forever(sessions, {"push": channel}, 0.05, stop, limit=2))
    await _enqueue(sessions, 5)
    for _ in range(100):
        if len(channel.sent) == 5:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(worker, 2)
    assert channel.sent == [1, 2, 3, 4, 5]


async def test_backlog_counts_pending_and_dead_items_per_channel(sessions: Sessions) -> None:
    await _enqueue(sessions, 2, channel="telegram")
    await _enqueue(sessions, 2, channel="webhook", user="1")
    await _enqueue(sessions, 1, channel="webhook", user="2")
    hooks = Channel(failures=[DeliveryError("HTTP 404", retryable=False)])
    await deliver_due(sessions, {"webhook": hooks}, now=START)
    async with sessions() as session:
        counts = await backlog(session)
        undelivered = len(list(await session.scalars(select(OutboxRow.id).where(OutboxRow.delivered_at.is_(None)))))
    assert counts == {"telegram": Backlog(pending=2, dead=0), "webhook": Backlog(pending=0, dead=1)}
    assert undelivered == 3
