"""In-process, per-user locks: one event at a time for each conversation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

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
