"""What the bot keeps per Telegram chat: the ULB a deep link named, and whether the user blocked the bot.

A user who blocked the bot cannot be reached; each of their tickets that is not closed gets an
`unreachable` event (shown in the ticket's history in the operator API), once, and a `reachable` one when
they write to the bot again.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.telegram_models import TelegramChatRow
from core.db import utcnow
from tickets.models import TicketEventRow, TicketRow

ACTOR = "telegram"
BLOCKED_REASON = "The user blocked the helpdesk bot on Telegram: messages cannot reach them until they write again."
BACK_REASON = "The user wrote to the helpdesk bot again: messages reach them."


class SqlTelegramChats:
    """The chats table inside the caller's transaction."""

    def __init__(self, session: AsyncSession, channel: str = "telegram") -> None:
        self._session = session
        self._channel = channel

    async def _row(self, chat_id: str) -> TelegramChatRow:
        row = await self._session.get(TelegramChatRow, chat_id, with_for_update=True)
        if row is None:
            row = TelegramChatRow(chat_id=chat_id, updated_at=utcnow())
            self._session.add(row)
        return row

    async def start_ulb(self, chat_id: str) -> str | None:
        row = await self._session.get(TelegramChatRow, chat_id)
        return row.start_ulb if row else None

    async def set_start_ulb(self, chat_id: str, ulb: str | None) -> None:
        row = await self._row(chat_id)
        row.start_ulb, row.updated_at = ulb, utcnow()

    async def blocked(self, chat_id: str) -> None:
        """Record that the user blocked the bot, and say so on each of their tickets not yet closed."""
        row = await self._row(chat_id)
        if row.blocked_at is None:
            row.blocked_at = row.updated_at = utcnow()
            await self._tell_tickets(chat_id, "unreachable", BLOCKED_REASON)

    async def reachable(self, chat_id: str) -> None:
        """The user wrote again: if they had blocked the bot, their tickets say they are back."""
        row = await self._session.get(TelegramChatRow, chat_id, with_for_update=True)
        if row is not None and row.blocked_at is not None:
            row.blocked_at, row.updated_at = None, utcnow()
            await self._tell_tickets(chat_id, "reachable", BACK_REASON)

    async def _tell_tickets(self, chat_id: str, action: str, reason: str) -> None:
        tickets = await self._session.scalars(
            select(TicketRow.id).where(TicketRow.channel == self._channel, TicketRow.user_id == chat_id,
                                       TicketRow.status != "closed"))
        for ticket_id in tickets:
            self._session.add(TicketEventRow(ticket_id=ticket_id, at=utcnow(), actor=ACTOR, action=action,
                                             before={}, after={"reachable": action == "reachable"}, reason=reason))
