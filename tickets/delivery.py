"""The delivery worker: drains push channels' outbox items through their senders, at least once.

A worker claims due items with `FOR UPDATE SKIP LOCKED` and, in that same short transaction, leases them
(moves `next_attempt_at` a few minutes ahead), so no other worker takes them while this one sends. It
sends outside any transaction (a slow receiver must not hold SQLite's write lock or a PostgreSQL
connection) and records each outcome right after its send. A worker that dies mid-send leaves its items to
come due again when the lease runs out: at least once, never twice at the same time. Receivers dedupe by
the item id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import groupby

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.channel import DeliveryError as DeliveryError
from core.channel import OutboxItem, OutboxSender
from core.db import utcnow
from tickets.models import OutboxRow
from tickets.outbox import SqlOutbox

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10  # with the outbox's backoff (5 s doubling, capped at 30 min) about 1.5 hours of trying
LEASE = timedelta(minutes=5)
CONCURRENCY = 8  # recipients served at once; one recipient's items go one after another, in order
DEAD = datetime(9999, 12, 31, tzinfo=UTC)  # the next_attempt_at of an item given up on


Sender = OutboxSender  # the channel contract's name for it (core.channel)


@dataclass(frozen=True)
class DeliveryResult:
    """Outbox ids by outcome of one pass."""

    delivered: tuple[int, ...] = ()
    retrying: tuple[int, ...] = ()
    dead: tuple[int, ...] = ()


@dataclass(frozen=True)
class Backlog:
    """Items still to deliver, and items given up on (kept with their last error)."""

    pending: int
    dead: int


async def _claim(
    sessions: async_sessionmaker[AsyncSession], channels: list[str], now: datetime, limit: int, lease: timedelta
) -> list[OutboxItem]:
    async with sessions() as session, session.begin():
        items = await SqlOutbox(session).claim_due(channels, limit, now)
        if items:
            await session.execute(update(OutboxRow).where(OutboxRow.id.in_([i.id for i in items]))
                                  .values(next_attempt_at=now + lease))
    return items


async def _record(
    sessions: async_sessionmaker[AsyncSession], item: OutboxItem, error: DeliveryError | None, max_attempts: int,
    clock: Callable[[], datetime],
) -> str:
    """Mark the item delivered, due again later, or dead; returns which."""
    async with sessions() as session, session.begin():
        outbox = SqlOutbox(session, clock)
        if error is None:
            await outbox.delivered(item.id)
            return "delivered"
        attempts = item.attempts + 1
        if error.retryable and attempts < max_attempts:
            await outbox.failed(item, str(error))
            return "retrying"
        reason = f"gave up after {attempts} attempt(s): {error}"
        await session.execute(update(OutboxRow).where(OutboxRow.id == item.id)
                              .values(attempts=attempts, last_error=reason[:1000], next_attempt_at=DEAD))
        log.warning("outbox item %s (%s) is dead: %s", item.id, item.channel, reason)
        return "dead"


async def _attempt(sender: Sender, item: OutboxItem) -> DeliveryError | None:
    try:
        await sender.send(item)
    except DeliveryError as err:
        log.info("outbox item %s (%s) failed: %s", item.id, item.channel, err)
        return err
    except Exception as err:  # a sender's bug must not stop the worker or strand the batch
        log.exception("outbox item %s (%s): sender crashed", item.id, item.channel)
        return DeliveryError(f"{type(err).__name__}: {err}", retryable=True)
    return None


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession], senders: Mapping[str, Sender], now: datetime | None = None,
    limit: int = 50, *, max_attempts: int = MAX_ATTEMPTS, lease: timedelta = LEASE,
) -> DeliveryResult:
    """One pass: claim due items of the channels in `senders`, send them, record each outcome."""
    if not senders:
        return DeliveryResult()
    clock: Callable[[], datetime] = utcnow if now is None else lambda: now  # outcomes at their own time
    items = await _claim(sessions, sorted(senders), clock(), limit, lease)
    outcomes: dict[str, list[int]] = {"delivered": [], "retrying": [], "dead": []}
    gate = asyncio.Semaphore(CONCURRENCY)

    async def serve(queue: list[OutboxItem]) -> None:
        async with gate:
            for item in queue:
                error = await _attempt(senders[item.channel], item)
                outcomes[await _record(sessions, item, error, max_attempts, clock)].append(item.id)

    def recipient(item: OutboxItem) -> tuple[str, str]:
        return item.channel, item.user_id

    queues = [list(group) for _, group in groupby(sorted(items, key=recipient), key=recipient)]
    await asyncio.gather(*(serve(q) for q in queues))
    return DeliveryResult(*(tuple(sorted(outcomes[k])) for k in ("delivered", "retrying", "dead")))


async def run_forever(
    sessions: async_sessionmaker[AsyncSession], senders: Mapping[str, Sender], period_s: float, stop: asyncio.Event,
    limit: int = 50,
) -> None:
    """Deliver until `stop` is set: again at once after a full batch, else after `period_s` seconds."""
    while not stop.is_set():
        busy = False
        try:
            result = await deliver_due(sessions, senders, limit=limit)
            busy = len(result.delivered) + len(result.retrying) + len(result.dead) >= limit
        except Exception:  # the database may be away for a moment; try again next period
            log.exception("outbox delivery pass failed")
        if not busy:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=period_s)


async def backlog(session: AsyncSession) -> dict[str, Backlog]:
    """Per channel: how many outbox items are still to deliver and how many were given up on."""
    is_dead = OutboxRow.next_attempt_at >= DEAD
    query = (select(OutboxRow.channel, is_dead, func.count()).where(OutboxRow.delivered_at.is_(None))
             .group_by(OutboxRow.channel, is_dead))
    counts = {(channel, bool(dead)): int(n) for channel, dead, n in (await session.execute(query)).all()}
    return {channel: Backlog(counts.get((channel, False), 0), counts.get((channel, True), 0))
            for channel in sorted({c for c, _ in counts})}
