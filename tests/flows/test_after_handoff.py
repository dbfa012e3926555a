"""After a ticket is filed: what the user sees when the helpdesk resolves it, and what their answers do."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.settings import Settings
from tests.fakes import ScriptedChat
from tickets.desk import SqlTicketDesk
from tickets.store import SqlTicketStore, Ticket


async def _filed(chat: ScriptedChat) -> str:
    await chat.walk_to_confirm("the bill page shows an error when I save")
    await chat.pick("file it")
    assert chat.ticket
    return chat.ticket


async def _resolve(sessions: async_sessionmaker[AsyncSession], settings: Settings, number: str,
                   text: str | None = "Fixed in today's release.", days_ago: int = 0) -> None:
    async with sessions() as session, session.begin():
        desk = SqlTicketDesk(session, settings)
        await desk.resolve(number, "op-1", text, None)
        if days_ago:  # as if resolved that long before now: moved back from its own stamp, no clock read
            row = await desk.row(number)
            assert row.resolved_at is not None
            row.resolved_at -= timedelta(days=days_ago)


async def _ticket(sessions: async_sessionmaker[AsyncSession], number: str) -> Ticket:
    async with sessions() as session:
        return await SqlTicketStore(session).get(number)


async def test_a_resolved_ticket_is_confirmed_fixed_and_rated(
    chat: ScriptedChat, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    number = await _filed(chat)
    await _resolve(sessions, settings, number)
    await chat.send("hello")
    assert chat.last[0].text.startswith(f"The helpdesk team has marked your ticket {number} as resolved:")
    assert "Fixed in today's release." in chat.last[0].text
    assert chat.labels[-3:] == ["Yes, it is fixed", "No, it still does not work", "My message is about something else"]
    await chat.send("haan")
    assert chat.labels == ["1 (poor)", "2", "3", "4", "5 (excellent)"]
    await chat.send("5")
    assert "Thank you for your rating" in chat.text
    await chat.pick("Skip")  # no comment
    ticket = await _ticket(sessions, number)
    assert (ticket.csat_fixed, ticket.csat_rating, ticket.status) == (True, 5, "resolved")
    await chat.send("hello again")
    assert "Is the problem fixed?" not in chat.text, "asked once"


async def test_not_fixed_within_the_window_reopens_the_ticket_with_the_users_words(
    chat: ScriptedChat, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    number = await _filed(chat)
    await _resolve(sessions, settings, number)
    await chat.send("still the same error on save")
    await chat.pick("still does not work")
    assert f"I have reopened ticket {number}" in chat.text
    async with sessions() as session:
        row = await SqlTicketDesk(session, settings).row(number)
        messages = await SqlTicketDesk(session, settings).messages(row.id)
    assert row.status == "reopened" and row.csat_fixed is False
    assert messages[-1].kind == "user" and messages[-1].text == "still the same error on save"


async def test_not_fixed_after_the_window_files_a_linked_follow_up(
    chat: ScriptedChat, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    number = await _filed(chat)
    await _resolve(sessions, settings, number, days_ago=settings.reopen_days + 1)
    await chat.send("it broke again")
    await chat.pick("still does not work")
    follow_up = chat.ticket
    assert follow_up and follow_up != number
    assert f"Ticket {number} was resolved more than {settings.reopen_days} days ago" in chat.text
    old, new = await _ticket(sessions, number), await _ticket(sessions, follow_up)
    assert old.status == "resolved" and old.csat_fixed is False
    assert new.parent_number == number and new.description == "it broke again"
    assert (new.module, new.category, new.priority) == (old.module, old.category, old.priority)


async def test_a_message_about_something_else_starts_a_new_problem_and_is_not_asked_again(
    chat: ScriptedChat, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    number = await _filed(chat)
    await _resolve(sessions, settings, number, text=None)
    await chat.send("the muster roll total is wrong")
    assert f"The helpdesk team has marked your ticket {number} as resolved." in chat.text
    await chat.pick("something else")
    assert await chat.state() == "awaiting_module"
    await chat.send("cancel")
    await chat.send("hello")
    assert "Is the problem fixed?" not in chat.text
