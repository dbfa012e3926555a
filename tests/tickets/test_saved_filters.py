"""Each operator's saved queue filters: only the queue's own parameters are kept, per account, by name."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.errors import InvalidInput, NotFound
from tickets.saved_filters import MAX_PER_OWNER, SqlSavedFilters, clean_query

Sessions = async_sessionmaker[AsyncSession]


def test_only_the_queues_parameters_are_kept_in_a_fixed_order() -> None:
    assert clean_query("?ulb=od.jatni&priority=P1&evil=1&status=&q=+bill+") == "q=bill&priority=P1&ulb=od.jatni"
    assert clean_query("status=") == ""


async def test_filters_are_each_accounts_own_and_a_name_saved_again_replaces_it(sessions: Sessions) -> None:
    async with sessions() as s, s.begin():
        meera = SqlSavedFilters(s, "meera")
        mine = await meera.save("  P1   this ULB ", "priority=P1&ulb=od.jatni")
        await meera.save("my open", "assignee=meera")
        await SqlSavedFilters(s, "arjun").save("my open", "assignee=arjun")
        assert mine.name == "P1 this ULB"
    async with sessions() as s, s.begin():
        meera = SqlSavedFilters(s, "meera")
        again = await meera.save("P1 this ULB", "priority=P1&ulb=od.khordha")
        assert again.id == mine.id
        assert [(f.name, f.query) for f in await meera.all()] == [
            ("P1 this ULB", "priority=P1&ulb=od.khordha"), ("my open", "assignee=meera")]
        with pytest.raises(NotFound):
            await SqlSavedFilters(s, "arjun").delete(mine.id)  # another's is as good as missing
        await meera.delete(mine.id)
        assert [f.name for f in await meera.all()] == ["my open"]


async def test_a_filter_needs_a_name_something_to_filter_and_room(sessions: Sessions) -> None:
    async with sessions() as s, s.begin():
        meera = SqlSavedFilters(s, "meera")
        with pytest.raises(InvalidInput, match=r"^name:"):
            await meera.save("   ", "priority=P1")
        with pytest.raises(InvalidInput, match=r"^query:"):
            await meera.save("nothing", "evil=1")
        for n in range(MAX_PER_OWNER):
            await meera.save(f"f{n}", f"assignee=a{n}")
        with pytest.raises(InvalidInput, match="at most"):
            await meera.save("one more", "priority=P1")
        with pytest.raises(NotFound):
            await meera.delete(0)
