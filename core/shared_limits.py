"""Sliding-window limits counted in the database, so that every `helpdesk serve` process (and every worker)
shares one count: the anonymous chats' limits on new conversations, messages, photos and resume-code tries.

Each allowed event is a row (its key and time); an event is allowed while fewer than `limit` rows of its key
fall in the last `window` seconds. A refused event leaves no row. One transaction checks and counts all the
limits an event is under (per address, overall), serialised per key: SQLite's writers take turns anyway
(BEGIN IMMEDIATE), PostgreSQL takes a transaction-scoped advisory lock per key. Rows older than the longest
window are deleted as new ones come in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Index, Integer, String, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UtcDateTime

LONGEST_WINDOW = timedelta(hours=1)  # no limit looks further back: older rows are deleted


class LimitHitRow(Base):
    __tablename__ = "chat_limit_hits"
    __table_args__ = (Index("ix_chat_limit_hits_key_at", "key", "at"), Index("ix_chat_limit_hits_at", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(160))  # e.g. "message:address:203.0.113.7", "message:overall"
    at: Mapped[datetime] = mapped_column(UtcDateTime)


@dataclass(frozen=True)
class Limit:
    """At most `limit` events of `key` in any `window` (a `limit` of 0: none)."""

    key: str
    limit: int
    window: timedelta


class SharedLimits:
    """Limits counted in the database through `sessions`, at the time `clock` gives (a wall clock: processes
    compare their times through it)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self.clock = clock

    async def refused(self, limits: Sequence[Limit]) -> tuple[Limit, float] | None:
        """None if one more event under every one of `limits` is allowed (and it is counted under each); else
        the first limit it is over and the seconds until it would not be (nothing counted)."""
        active = [limit for limit in limits if limit.limit > 0]
        if not active:
            return None
        now = self.clock()
        async with self._sessions() as session, session.begin():
            for limit in active:
                await _serialise(session, limit.key)
                since = now - limit.window
                count, oldest = (await session.execute(
                    select(func.count(), func.min(LimitHitRow.at))
                    .where(LimitHitRow.key == limit.key, LimitHitRow.at > since))).one()
                if count >= limit.limit:
                    await session.rollback()
                    return limit, max((oldest + limit.window - now).total_seconds(), 0.001)
            session.add_all([LimitHitRow(key=limit.key, at=now) for limit in active])
            await session.execute(delete(LimitHitRow).where(LimitHitRow.at <= now - LONGEST_WINDOW))
        return None


async def _serialise(session: AsyncSession, key: str) -> None:
    """On PostgreSQL, one transaction at a time counts a key (SQLite's write transactions take turns already)."""
    if session.get_bind().dialect.name == "postgresql":
        lock = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock})
