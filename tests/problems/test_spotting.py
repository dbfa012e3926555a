"""The spotting job: a group of similar open tickets becomes one proposal, once, and only when it is big
enough, recent enough, and nobody has already decided about it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.clustering import problem_cluster
from core.settings import Settings
from tests.clock import START
from tickets.models import TicketRow
from tickets.problem_models import ProblemProposalRow
from tickets.problem_spotting import SpotResult, SqlProposals, spot
from tickets.problems import SqlProblems
from tickets.store import SqlTicketStore, TicketDraft

SIMILAR = [
    "muster roll page shows a blank screen",
    "blank screen when I open the muster roll",
    "muster roll page is blank since the update",
    "the muster roll screen is blank",
    "muster roll opens as a blank page",
    "muster roll page stays blank for everyone",
    "blank muster roll page again",
]


async def _file(sessions: async_sessionmaker[AsyncSession], texts: list[str], module: str = "attendance",
                ulb: str = "od.jatni") -> list[str]:
    async with sessions() as session, session.begin():
        store = SqlTicketStore(session, clock=lambda: START)
        return [(await store.file(TicketDraft(
            channel="console", user_id=f"u{n}-{ulb}", role="junior_engineer", ulb=ulb, language="en",
            module=module, category="technical", priority="P2", priority_reason="", description=text,
            team="state_technical"))).number for n, text in enumerate(texts)]


async def _spot(sessions: async_sessionmaker[AsyncSession], settings: Settings, **later: float) -> SpotResult:
    now = START + timedelta(**later)
    return await spot(sessions, settings, problem_cluster(settings), now=now)


async def _pending(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> list[list[str]]:
    async with sessions() as session:
        found = await SqlProposals(session, SqlProblems(session, settings)).find("pending")
        return [sorted(p.tickets) for p in found]


async def test_a_group_smaller_than_the_minimum_is_not_proposed_until_it_grows(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    first = await _file(sessions, SIMILAR[:4])
    assert await _spot(sessions, settings) == SpotResult()
    fifth = await _file(sessions, SIMILAR[4:5])
    assert len((await _spot(sessions, settings)).proposed) == 1
    assert await _pending(sessions, settings) == [sorted(first + fifth)]


async def test_a_pending_proposal_takes_later_similar_tickets_instead_of_a_second_proposal(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    first = await _file(sessions, SIMILAR[:5])
    (proposal,) = (await _spot(sessions, settings)).proposed
    later = await _file(sessions, SIMILAR[5:])
    assert await _spot(sessions, settings) == SpotResult(grown=(proposal,))
    assert await _pending(sessions, settings) == [sorted(first + later)]


async def test_a_dismissed_group_is_not_proposed_again(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    await _file(sessions, SIMILAR[:5])
    (proposal,) = (await _spot(sessions, settings)).proposed
    async with sessions() as session, session.begin():
        await SqlProposals(session, SqlProblems(session, settings)).dismiss(proposal, "op-1")
    await _file(sessions, SIMILAR[5:6])
    assert await _spot(sessions, settings) == SpotResult()


async def test_tickets_older_than_the_window_are_not_grouped(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    await _file(sessions, SIMILAR[:5])
    assert await _spot(sessions, settings, hours=settings.problem_window_hours + 0.1) == SpotResult()


async def test_the_same_words_in_different_modules_are_different_groups(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    await _file(sessions, SIMILAR[:3], module="attendance")
    await _file(sessions, SIMILAR[3:6], module="wage_seeker")
    assert await _spot(sessions, settings) == SpotResult()


async def test_grouping_by_ulb_is_a_setting(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    await _file(sessions, SIMILAR[:3], ulb="od.jatni")
    await _file(sessions, SIMILAR[3:6], ulb="od.dhenkanal")
    by_ulb = settings.model_copy(update={"problem_by_ulb": True})
    assert await _spot(sessions, by_ulb) == SpotResult()
    assert len((await _spot(sessions, settings)).proposed) == 1


async def test_unrelated_open_tickets_are_not_proposed(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    await _file(sessions, ["cannot add a wage seeker", "attendance total is wrong", "muster roll approval stuck",
                           "photo upload fails in attendance", "attendance date picker shows last year"])
    assert await _spot(sessions, settings) == SpotResult()


async def test_an_undecided_proposal_older_than_the_window_still_takes_new_similar_tickets(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    first = await _file(sessions, SIMILAR[:5])
    (proposal,) = (await _spot(sessions, settings)).proposed
    async with sessions() as session, session.begin():  # filed and proposed three hours ago
        earlier = START - timedelta(hours=3)
        await session.execute(update(TicketRow).values(created_at=earlier))
        await session.execute(update(ProblemProposalRow).values(created_at=earlier))
    later = await _file(sessions, SIMILAR[:5])
    assert await _spot(sessions, settings) == SpotResult(grown=(proposal,))
    assert await _pending(sessions, settings) == [sorted(first + later)]
