"""Round-robin assignment: the operator assigned longest ago gets the next ticket; never one who is away."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.settings import Settings
from tickets.assignment import auto_assign
from tickets.desk import SqlTicketDesk
from tickets.operators import SqlOperators
from tickets.store import SqlTicketStore, TicketDraft

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def on(settings: Settings) -> Settings:
    return settings.model_copy(update={"auto_assign": True})


async def _file(sessions: Sessions) -> str:
    draft = TicketDraft(channel="console", user_id="u1", role="JE", ulb="od.jatni", language="en", module="bills",
                        category="technical", priority="P2", priority_reason="test", description="bill fails",
                        team="state_technical")
    async with sessions() as s, s.begin():
        return (await SqlTicketStore(s).file(draft)).number


async def _operator(sessions: Sessions, settings: Settings, name: str, role: str = "operator",
                    on_shift: bool = True, away: bool = False) -> None:
    async with sessions() as s, s.begin():
        operators = SqlOperators(s, settings)
        await operators.create(name, role, "vendor" if role == "tier" else None)
        await operators.set_availability(name, on_shift=on_shift, away=away)


async def _assign(sessions: Sessions, settings: Settings, number: str) -> str | None:
    async with sessions() as s, s.begin():
        return await auto_assign(s, number, settings)


async def test_tickets_go_round_the_operators_on_shift(sessions: Sessions, on: Settings) -> None:
    for name in ("asha", "bikram", "chitra"):
        await _operator(sessions, on, name)
    picked = [await _assign(sessions, on, await _file(sessions)) for _ in range(4)]
    assert picked == ["asha", "bikram", "chitra", "asha"]


async def test_the_assignment_is_audited_as_auto_assign(sessions: Sessions, on: Settings) -> None:
    await _operator(sessions, on, "asha")
    number = await _file(sessions)
    await _assign(sessions, on, number)
    async with sessions() as s:
        desk = SqlTicketDesk(s, on)
        row = await desk.row(number)
        [event] = await desk.events(row.id)
    assert (row.assignee, row.status) == ("asha", "open")
    assert (event.actor, event.action, event.after) == ("auto-assign", "assign", {"assignee": "asha", "status": "open"})


async def test_operators_away_off_shift_or_in_a_tier_team_are_never_picked(sessions: Sessions, on: Settings) -> None:
    await _operator(sessions, on, "away", away=True)
    await _operator(sessions, on, "off", on_shift=False)
    await _operator(sessions, on, "tier", role="tier")
    number = await _file(sessions)
    assert await _assign(sessions, on, number) is None
    async with sessions() as s:
        assert (await SqlTicketDesk(s, on).row(number)).assignee is None


async def test_an_operator_back_from_away_rejoins_the_rotation(sessions: Sessions, on: Settings) -> None:
    await _operator(sessions, on, "asha", away=True)
    assert await _assign(sessions, on, await _file(sessions)) is None
    async with sessions() as s, s.begin():
        await SqlOperators(s, on).set_availability("asha", away=False)
    assert await _assign(sessions, on, await _file(sessions)) == "asha"


async def test_nothing_is_assigned_when_auto_assignment_is_off(sessions: Sessions, settings: Settings) -> None:
    await _operator(sessions, settings, "asha")
    assert await _assign(sessions, settings, await _file(sessions)) is None


async def test_an_assigned_ticket_keeps_its_operator(sessions: Sessions, on: Settings) -> None:
    await _operator(sessions, on, "asha")
    await _operator(sessions, on, "bikram")
    number = await _file(sessions)
    async with sessions() as s, s.begin():
        await SqlTicketDesk(s, on).claim(number, "chitra", None)
    assert await _assign(sessions, on, number) == "chitra"
    assert await _assign(sessions, on, await _file(sessions)) == "asha"  # the rotation did not move


async def test_tickets_assigned_at_the_same_moment_go_to_different_operators(
    sessions: Sessions, on: Settings
) -> None:
    for name in ("asha", "bikram", "chitra"):
        await _operator(sessions, on, name)
    numbers = [await _file(sessions) for _ in range(3)]
    picked = await asyncio.gather(*(_assign(sessions, on, n) for n in numbers))
    assert sorted(p or "" for p in picked) == ["asha", "bikram", "chitra"]
