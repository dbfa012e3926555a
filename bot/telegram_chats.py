"""What the bot keeps per Telegram chat: the ULB a deep link named, and whether the user blocked the bot.

A user who blocked the bot cannot be reached; each of their tickets that is not closed gets an
`unreachable` event (told to the desk through `core.channel.ChannelReports`; the ticket page and the API
show it), once, and a `reachable` one when they write to the bot again.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.telegram_models import TelegramChatRow
from core.db import utcnow
from tickets.reports import SqlChannelReports

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
            await SqlChannelReports(self._session).unreachable(self._channel, chat_id, BLOCKED_REASON)

    async def reachable(self, chat_id: str) -> None:
        """The user wrote again: if they had blocked the bot, their tickets say they are back."""
        row = await self._session.get(TelegramChatRow, chat_id, with_for_update=True)
        if row is not None and row.blocked_at is not None:
            row.blocked_at, row.updated_at = None, utcnow()
            await SqlChannelReports(self._session).reachable(self._channel, chat_id, BACK_REASON)
