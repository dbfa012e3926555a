"""In-process, per-user locks: one event at a time for each conversation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.messages import UserRef


class UserLocks:
    """A lock per user, dropped again when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[UserRef, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, user: UserRef) -> AsyncIterator[None]:
        lock, users = self._locks.get(user, (asyncio.Lock(), 0))
        self._locks[user] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[user]
            if users == 1:
                del self._locks[user]
            else:
                self._locks[user] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


def one_writer_at_a_time(sessions: async_sessionmaker[AsyncSession]) -> Callable[[], AbstractAsyncContextManager[Any]]:
    """On SQLite, an in-process lock around the engine's write transactions; elsewhere no lock.

    SQLite lets one writer in at a time anyway; a second BEGIN IMMEDIATE waits in SQLite's busy handler, which
    sleeps in steps of up to 100 ms. Queueing on an asyncio lock instead hands over as soon as the writer
    commits, which keeps the slowest turns within milliseconds when many users talk at once.
    """
    bind = sessions.kw.get("bind")
    if bind is not None and bind.dialect.name == "sqlite":
        lock = asyncio.Lock()
        return lambda: lock
    return nullcontext
