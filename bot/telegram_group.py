"""The operators' supergroup (optional): one forum topic per ticket, worked from Telegram.

Each new ticket opens a topic named after it, with its summary. In the topic, an operator listed in
HELPDESK_TELEGRAM_OPERATORS writes to the user (the message is recorded on the ticket as a reply and
delivered through the outbox) or acts with `/claim`, `/resolve [text]`, `/escalate TEAM`, `/note TEXT`,
as themselves in the ticket's audit trail. Anyone else in the group is ignored. A closed ticket's topic is
closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Message, Update
from telegram.error import TelegramError

from bot.telegram_models import TelegramTopicRow
from bot.telegram_text import split_text
from core.channel import EventKeys
from core.db import utcnow
from core.errors import HelpdeskError
from core.messages import UserRef
from core.settings import Settings
from tickets.desk import SqlTicketDesk
from tickets.sla import DueFunction
from tickets.ticket import Ticket

log = logging.getLogger(__name__)

SYNC_PERIOD_S = 5.0
TOPIC_NAME_LIMIT = 128
BATCH = 20
USAGE = ("In a ticket's topic: /claim, /resolve [text for the user], /escalate TEAM, /note TEXT (for the team "
         "only); anything else you write is sent to the user as your reply.")


def summary(ticket: Ticket) -> str:
    """What operators first see in a ticket's topic (in English, their language)."""
    lines = [f"{ticket.number} · {ticket.priority} · {ticket.category} · {ticket.module}",
             f"ULB: {ticket.ulb or '-'} · role: {ticket.role or '-'} · team: {ticket.team} · via {ticket.channel}",
             "", ticket.description]
    if ticket.attachments:
        lines += ["", f"Attachments: {len(ticket.attachments)} (see the ticket in the console)"]
    if ticket.faq_rejected:
        lines += [f"FAQ answers the user rejected: {', '.join(ticket.faq_rejected)}"]
    return "\n".join(lines)


class OperatorsGroup:
    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession],
                 event_keys: Callable[[AsyncSession], EventKeys], due: DueFunction | None = None) -> None:
        """`event_keys`: where the operators' messages are recorded, so a retried update acts once
        (`ChatEngine.event_keys`)."""
        assert settings.telegram_operators_chat is not None
        self.chat_id = settings.telegram_operators_chat
        self._settings = settings
        self._sessions = sessions
        self._event_keys = event_keys
        self._due = due

    # -- tickets -> topics -----------------------------------------------------------------------------
    async def sync(self, bot: Bot) -> None:
        """Open a topic for each ticket without one; close the topics of closed tickets."""
        async with self._sessions() as session:
            desk = SqlTicketDesk(session, self._settings, self._due)
            fresh = await desk.unclosed_not_in(select(TelegramTopicRow.ticket_number), BATCH)
            open_topics = select(TelegramTopicRow.ticket_number).where(TelegramTopicRow.closed_at.is_(None))
            closing = list(await session.scalars(select(TelegramTopicRow).where(
                TelegramTopicRow.ticket_number.in_(await desk.closed_among(open_topics, BATCH)))))
        for ticket in fresh:
            await self._open(bot, ticket)
        for topic in closing:
            await bot.close_forum_topic(self.chat_id, topic.thread_id)
            async with self._sessions() as session, session.begin():
                stored = await session.get(TelegramTopicRow, topic.ticket_number)
                if stored is not None:
                    stored.closed_at = utcnow()

    async def _open(self, bot: Bot, ticket: Ticket) -> None:
        name = f"{ticket.number} · {ticket.module} · {ticket.ulb or '-'}"[:TOPIC_NAME_LIMIT]
        topic = await bot.create_forum_topic(self.chat_id, name)
        async with self._sessions() as session, session.begin():
            session.add(TelegramTopicRow(ticket_number=ticket.number, thread_id=topic.message_thread_id,
                                         opened_at=utcnow()))
        await self._say(bot, topic.message_thread_id, summary(ticket))

    async def run(self, bot: Bot, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.sync(bot)
            except TelegramError as err:
                log.warning("operators' group: sync failed: %s", err)
            except Exception:  # the database may be away for a moment; try again next period
                log.exception("operators' group: sync failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), SYNC_PERIOD_S)

    # -- topics -> tickets -----------------------------------------------------------------------------
    async def handle(self, update: Update, bot: Bot) -> None:
        """An operator's message in a ticket's topic: a reply to the user, or a command."""
        message = update.message
        if message is None or not message.text or message.message_thread_id is None:
            return
        operator = self._operator(message)
        if operator is None:
            return
        thread = message.message_thread_id
        said: str | None
        try:
            async with self._sessions() as session, session.begin():
                number = await session.scalar(
                    select(TelegramTopicRow.ticket_number).where(TelegramTopicRow.thread_id == thread))
                key = UserRef("telegram_group", str(self.chat_id))
                if number is None or not await self._event_keys(session).claim_event(key, f"m{message.message_id}"):
                    return
                said = await self._act(SqlTicketDesk(session, self._settings, self._due), number, operator,
                                       message.text)
        except HelpdeskError as err:  # e.g. resolving a closed ticket, an unknown team
            said = f"Not done: {err}"
        if said:
            await self._say(bot, thread, said)

    def _operator(self, message: Message) -> str | None:
        sender = message.from_user
        name = self._settings.telegram_operators.get(str(sender.id)) if sender is not None else None
        if name is None:
            log.info("operators' group: ignoring a message from %s, not a listed operator",
                     sender.id if sender else "?")
        return name

    async def _act(self, desk: SqlTicketDesk, number: str, operator: str, text: str) -> str | None:
        command, _, rest = text.strip().partition(" ")
        command, rest = command.split("@", 1)[0].casefold(), rest.strip()
        if command == "/claim":
            await desk.claim(number, operator, None)
            return f"{number} claimed by {operator}."
        if command == "/resolve":
            await desk.resolve(number, operator, rest or None, None)
            return f"{number} resolved by {operator}; the user is asked whether it is fixed."
        if command == "/escalate":
            await desk.escalate(number, operator, rest, None, None)
            return f"{number} escalated to {self._settings.team_name(rest)} by {operator}."
        if command == "/note":
            await desk.note(number, operator, rest)
            return f"Note kept on {number} (the user does not see it)."
        if command.startswith("/"):
            return USAGE
        await desk.reply(number, operator, text, None)
        return None

    async def _say(self, bot: Bot, thread: int, text: str) -> None:
        for piece in split_text(text):
            await bot.send_message(self.chat_id, piece, message_thread_id=thread)


def group_of(settings: Settings, sessions: async_sessionmaker[AsyncSession],
             event_keys: Callable[[AsyncSession], EventKeys], due: DueFunction | None) -> OperatorsGroup | None:
    if settings.telegram_operators_chat is None:
        return None
    return OperatorsGroup(settings, sessions, event_keys, due)


