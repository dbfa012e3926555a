"""The knowledge-base version in the database: a save anywhere makes every process reload, once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kb_sync import KbSync
from core.db import make_engine, make_sessions
from core.kb_version import bump_version, read_version


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    db = make_engine(database_url)
    yield make_sessions(db)
    await db.dispose()


async def test_a_save_elsewhere_makes_this_process_reload_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    reloads: list[int] = []

    async def reload() -> int:
        reloads.append(await read_version(sessions))
        return 65

    here = KbSync(sessions, reload)
    assert await here.check() is False  # the first look only notes the version it started with
    version = await bump_version(sessions, "kavya")  # another process saved
    assert version == 1
    assert await here.check() is True
    assert await here.check() is False
    assert reloads == [1]


async def test_the_process_that_saved_does_not_reload_its_own_save(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    reloads: list[int] = []

    async def reload() -> int:
        reloads.append(1)
        return 65

    here = KbSync(sessions, reload)
    await here.check()
    here.saved_here(await bump_version(sessions, "kavya"))
    assert await here.check() is False and reloads == []
    assert await bump_version(sessions, "ravi") == 2
    assert await here.check() is True and reloads == [1]
