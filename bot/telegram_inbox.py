"""The webhook's inbox: each update is stored (once, by `update_id`) before Telegram gets its 200, then
processed by a worker. A process that dies between the two leaves the update stored and unprocessed; the
next worker takes it when its lease runs out, and the engine's own event keys make a second run harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.telegram_models import TelegramUpdateRow
from core.db import utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 5
BATCH = 20
Process = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class StoredUpdate:
    update_id: int
    payload: dict[str, Any]
    attempts: int


class SqlTelegramInbox:
    """The inbox table inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def store(self, update_id: int, payload: dict[str, Any]) -> bool:
        """Keep the update; False if it was stored before (Telegram redelivered it)."""
        dialect = self._session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        now = utcnow()
        statement = (insert(TelegramUpdateRow)
                     .values(update_id=update_id, payload=payload, received_at=now, due_at=now, attempts=0)
                     .on_conflict_do_nothing().returning(TelegramUpdateRow.update_id))
        return (await self._session.execute(statement)).first() is not None

    async def claim(self, now: datetime, limit: int = BATCH, lease: timedelta = LEASE) -> list[StoredUpdate]:
        """Due unprocessed updates in update order, leased to this worker."""
        query = (select(TelegramUpdateRow)
                 .where(TelegramUpdateRow.processed_at.is_(None), TelegramUpdateRow.due_at <= now)
                 .order_by(TelegramUpdateRow.update_id).limit(limit).with_for_update(skip_locked=True))
        rows = list(await self._session.scalars(query))
        for row in rows:
            row.due_at = now + lease
        return [StoredUpdate(r.update_id, dict(r.payload), r.attempts) for r in rows]

    async def processed(self, update_id: int, error: str | None = None) -> None:
        await self._session.execute(update(TelegramUpdateRow).where(TelegramUpdateRow.update_id == update_id)
                                    .values(processed_at=utcnow(), last_error=error))

    async def failed(self, stored: StoredUpdate, error: str, retry_in: timedelta) -> None:
        await self._session.execute(update(TelegramUpdateRow).where(TelegramUpdateRow.update_id == stored.update_id)
                                    .values(attempts=stored.attempts + 1, last_error=error[:1000],
                                            due_at=utcnow() + retry_in))


async def drain(sessions: async_sessionmaker[AsyncSession], process: Process) -> int:
    """Process every due update once, in order; returns how many were taken."""
    taken = 0
    while True:
        async with sessions() as session, session.begin():
            batch = await SqlTelegramInbox(session).claim(utcnow())
        if not batch:
            return taken
        taken += len(batch)
        for stored in batch:
            await _process_one(sessions, process, stored)


async def _process_one(sessions: async_sessionmaker[AsyncSession], process: Process, stored: StoredUpdate) -> None:
    error: str | None = None
    try:
        await process(stored.payload)
    except Exception as err:  # a failing update must not stop the ones behind it
        log.exception("telegram update %s failed (attempt %s)", stored.update_id, stored.attempts + 1)
        error = f"{type(err).__name__}: {err}"
    async with sessions() as session, session.begin():
        inbox = SqlTelegramInbox(session)
        if error is None or stored.attempts + 1 >= MAX_ATTEMPTS:
            await inbox.processed(stored.update_id, error)
        else:
            await inbox.failed(stored, error, timedelta(seconds=5 * 2 ** stored.attempts))


async def run_forever(
    sessions: async_sessionmaker[AsyncSession], process: Process, wake: asyncio.Event, stop: asyncio.Event,
    period_s: float = 2.0,
) -> None:
    """Drain whenever the webhook stores something (`wake`), and every `period_s` for leftovers."""
    while not stop.is_set():
        wake.clear()
        try:
            await drain(sessions, process)
        except Exception:  # the database may be away for a moment
            log.exception("telegram inbox pass failed")
        with contextlib.suppress(TimeoutError):
            waits = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())]
            try:
                await asyncio.wait_for(asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED), period_s)
            finally:
                for waiting in waits:
                    waiting.cancel()
