"""Walks a user through the flow in their language by choice ids (as buttons send them), and the desk's side."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.settings import Settings
from tests.fakes import ScriptedChat
from tickets.desk import SqlTicketDesk, TicketMessage
from tickets.store import SqlTicketStore, Ticket

Sessions = async_sessionmaker[AsyncSession]


async def file_ticket(chat: ScriptedChat, language: str = "en", description: str = "the bill page shows an error",
                      category: str = "functional") -> str:
    """Profile (if new), a described problem, triage by ids and confirm: the filed ticket's number."""
    if await chat.state() is None:
        await chat.send("hello")
        for choice in (language, "junior_engineer", "od.jatni"):
            await chat.send_choice(choice)
    await chat.send(description)
    if await chat.state() == "offering_faq":
        await chat.send_choice("none")
    for choice in ("bills", category, "me_stopped", "no", "confirm"):
        await chat.send_choice(choice)
    assert chat.ticket, chat.text
    return chat.ticket


async def desk_does(sessions: Sessions, settings: Settings, action: str, number: str, *args: object) -> None:
    """An operator's action on the ticket, in a transaction of its own (as the console runs it)."""
    async with sessions() as session, session.begin():
        await getattr(SqlTicketDesk(session, settings), action)(number, *args)


async def ticket(sessions: Sessions, number: str) -> Ticket:
    async with sessions() as session:
        return await SqlTicketStore(session).get(number)


async def messages(sessions: Sessions, settings: Settings, number: str) -> list[TicketMessage]:
    async with sessions() as session:
        desk = SqlTicketDesk(session, settings)
        return await desk.messages((await desk.row(number)).id)
