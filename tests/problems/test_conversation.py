"""The bot tells a user their problem is already known before filing a ticket, in their language, and
lets them join it with one tap or go on as a different issue."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.messages import Reply, UserRef
from core.settings import Settings
from flows.engine import Engine
from tests.fakes import ScriptedChat
from tickets.models import OutboxRow
from tickets.problem_models import ProblemLinkRow
from tickets.problems import SqlProblems
from tickets.store import SqlTicketStore, TicketDraft

JIT = "payment status not updating from JIT"


async def _problem(sessions: async_sessionmaker[AsyncSession], settings: Settings, *, ulb: str | None = None,
                   workaround: str | None = None) -> int:
    """An open problem founded on one ticket about JIT payment status."""
    async with sessions() as session, session.begin():
        ticket = await SqlTicketStore(session).file(TicketDraft(
            channel="console", user_id="first", role="accountant", ulb="od.jatni", language="en",
            module="payments", category="technical", priority="P2", priority_reason="", description=JIT,
            team="state_technical"))
        problems = SqlProblems(session, settings)
        made = await problems.create("op-1", [ticket.number], "Payment status not updating from JIT",
                                     workaround=workaround, ulb=ulb)
        return made.id


async def _linked(sessions: async_sessionmaker[AsyncSession], problem: int) -> int:
    async with sessions() as session:
        return len(list(await session.scalars(select(ProblemLinkRow).where(ProblemLinkRow.problem_id == problem))))


async def test_the_known_problem_comes_with_its_workaround_and_joining_skips_triage(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, chat: ScriptedChat
) -> None:
    problem = await _problem(sessions, settings, workaround="Check the bill in JIT-FS directly.")
    await chat.set_up_profile()
    await chat.send("JIT is not updating the payment status")
    assert await chat.state() == "offering_problem"
    assert "Check the bill in JIT-FS directly." in chat.text
    assert chat.labels == ["Yes, add me to the list", "No, it is a different issue"]
    await chat.send("1")
    assert chat.ticket and await chat.state() == "filed"
    assert await _linked(sessions, problem) == 2
    async with sessions() as session:
        ticket = await SqlTicketStore(session).get(chat.ticket)
    assert (ticket.module, ticket.priority, ticket.team) == ("payments", "P2", "state_technical")
    said = [line["text"] for line in ticket.transcript if line["from"] == "user"]
    assert said[-2:] == ["JIT is not updating the payment status", "1"]  # operators read how they joined


async def test_a_different_issue_goes_on_to_triage_and_files_an_unlinked_ticket(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, chat: ScriptedChat
) -> None:
    problem = await _problem(sessions, settings)
    await chat.set_up_profile()
    await chat.send("payment status not updating for one bill only")
    await chat.pick("different issue")
    assert await chat.state() == "awaiting_module"
    await chat.pick("Payments")
    await chat.pick("not working")
    await chat.pick("only for me")
    await chat.pick("No")
    await chat.pick("file it")
    assert chat.ticket
    assert await _linked(sessions, problem) == 1


async def test_unrelated_words_and_other_ulbs_problems_are_not_offered(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, engine: Engine
) -> None:
    await _problem(sessions, settings, ulb="od.dhenkanal")
    jatni = ScriptedChat(engine, "jatni")
    await jatni.set_up_profile()
    await jatni.send(JIT)
    assert await jatni.state() == "awaiting_module"
    await _problem(sessions, settings)
    other = ScriptedChat(engine, "other")
    await other.set_up_profile()
    await other.send("the estimate page will not save my changes")
    assert await other.state() == "awaiting_module"


async def test_a_fixed_problem_is_no_longer_offered(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, chat: ScriptedChat
) -> None:
    problem = await _problem(sessions, settings)
    async with sessions() as session, session.begin():
        await SqlProblems(session, settings).update(problem, "op-1", None, status="fixed")
    await chat.set_up_profile()
    await chat.send(JIT)
    assert await chat.state() == "awaiting_module"


async def test_an_odia_user_is_offered_the_problem_and_told_of_the_fix_in_odia(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, engine: Engine
) -> None:
    problem = await _problem(sessions, settings)
    odia = ScriptedChat(engine, "odia")
    await odia.send("ନମସ୍କାର")
    await odia.pick("ଓଡ଼ିଆ")
    await odia.pick("କନିଷ୍ଠ")
    await odia.pick("ଜଟଣୀ")  # the ULB named in Odia
    await odia.send(JIT)
    assert "ହେଲ୍ପଡେସ୍କ ଆଗରୁ ଜାଣିଛି" in odia.text
    await odia.pick("ତାଲିକାରେ ଯୋଡ଼ନ୍ତୁ")
    assert odia.ticket and "ତାଲିକାରେ ଅଛନ୍ତି" in odia.text
    async with sessions() as session, session.begin():
        await SqlProblems(session, settings).update(problem, "op-1", None, status="fixed")
    told: list[Reply] = await engine.pending(UserRef("console", "odia"))
    assert len(told) == 1 and "ଠିକ୍ ହୋଇଯାଇଛି" in told[0].text and odia.ticket in told[0].text


async def test_a_telegram_user_is_told_in_telegram(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, engine: Engine
) -> None:
    problem = await _problem(sessions, settings)
    chat = ScriptedChat(engine, "4242", channel="telegram")
    await chat.set_up_profile()
    await chat.send(JIT)
    await chat.pick("add me")
    async with sessions() as session, session.begin():
        await SqlProblems(session, settings).update(problem, "op-1", None, status="fixed")
    async with sessions() as session:
        items = list(await session.scalars(select(OutboxRow).where(OutboxRow.kind == "problem_fixed")))
    assert sorted((i.channel, i.user_id) for i in items) == [("console", "first"), ("telegram", "4242")]
    text = (await engine.render_for(UserRef("telegram", "4242"), "problem_fixed", dict(items[-1].payload))).text
    assert "has been fixed" in text
