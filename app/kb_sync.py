"""Every server process answers with the knowledge base as last saved, whichever process saved it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.errors import InvalidContent
from core.kb_version import read_version

log = logging.getLogger(__name__)

CHECK_PERIOD_S = 1.0


class KbSync:
    """The version this process has loaded; `check` reloads when the database says there is a newer one."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], reload: Callable[[], Awaitable[int]]) -> None:
        self.sessions = sessions
        self.reload = reload
        self.loaded: int | None = None

    async def check(self) -> bool:
        """Reload if another process saved since; True when it did."""
        version = await read_version(self.sessions)
        if self.loaded is None:
            self.loaded = version
            return False
        if version == self.loaded:
            return False
        try:
            entries = await self.reload()
        except InvalidContent as err:  # a hand edit broke the files: keep answering with what we have
            log.error("knowledge base version %d does not load; keeping the old one: %s", version, err)
            self.loaded = version
            return False
        self.loaded = version
        log.info("knowledge base version %d loaded (%d entries)", version, entries)
        return True

    def saved_here(self, version: int) -> None:
        """This process saved and reloaded already: no need to reload again for its own version."""
        self.loaded = version

    async def run(self, stop: asyncio.Event, period: float = CHECK_PERIOD_S) -> None:
        while not stop.is_set():
            try:
                await self.check()
            except SQLAlchemyError as err:
                log.warning("cannot read the knowledge base version: %s", err)
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), period)
