"""The Telegram channel as `helpdesk serve` runs it: the adapter, the webhook route and its inbox worker,
and the outbox sender, built from one configuration."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Update
from telegram.error import TelegramError

from bot.telegram import TelegramAdapter, make_bot
from bot.telegram_chats import SqlTelegramChats
from bot.telegram_group import group_of
from bot.telegram_inbox import drain, run_forever
from bot.telegram_sender import TelegramSender
from bot.telegram_webhook import webhook_router
from core.channel import ChatEngine
from core.settings import Settings
from tickets.attachments import AttachmentStore
from tickets.sla import DueFunction

log = logging.getLogger(__name__)

RETRY_START_S = 5.0


class TelegramChannel:
    """The Telegram `core.channel.PushChannel`."""

    name = "telegram"

    def __init__(
        self, settings: Settings, sessions: async_sessionmaker[AsyncSession], engine: ChatEngine,
        due: DueFunction | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.engine = engine
        self._sender: TelegramSender | None = None
        self.wake = asyncio.Event()  # set by the webhook when it stored a new update
        store = AttachmentStore(settings.attachments_dir, settings.attachments_max_bytes)
        self.group = group_of(settings, sessions, engine.event_keys, due)  # the operators' supergroup, if configured
        self.adapter = TelegramAdapter(engine, settings=settings, sessions=sessions, attachments=store,
                                       group=self.group)

    def loops(self) -> list[Callable[[asyncio.Event], Coroutine[Any, Any, None]]]:
        """What `helpdesk serve` runs for Telegram besides the outbox delivery."""
        return [self.work_inbox] if self.group is None else [self.work_inbox, self.work_group]

    async def work_group(self, stop: asyncio.Event) -> None:
        """Keep the operators' group's topics in step with the tickets, until `stop` is set."""
        assert self.group is not None
        bot = await self._started_bot(stop)
        if bot is None:
            return
        try:
            await self.group.run(bot, stop)
        finally:
            await bot.shutdown()

    def router(self) -> APIRouter:
        return webhook_router(self.settings, self.sessions, self.wake)

    def sender(self) -> TelegramSender:
        """The outbox sender (one per channel: it paces sends per chat)."""
        if self._sender is None:
            files = AttachmentStore(self.settings.attachments_dir, self.settings.attachments_max_bytes)
            self._sender = TelegramSender(make_bot(self.settings), self.engine.render_for, on_blocked=self.blocked,
                                          files=files)
        return self._sender

    async def close(self) -> None:
        if self._sender is not None:
            await self._sender.close()

    async def blocked(self, chat_id: str) -> None:
        async with self.sessions() as session, session.begin():
            await SqlTelegramChats(session).blocked(chat_id)

    async def work_inbox(self, stop: asyncio.Event) -> None:
        """Process the updates the webhook stored, until `stop` is set."""
        bot = await self._started_bot(stop)
        if bot is None:
            return
        try:
            await run_forever(self.sessions, lambda payload: self._process(bot, payload), self.wake, stop)
        finally:
            await bot.shutdown()

    async def _started_bot(self, stop: asyncio.Event) -> Bot | None:
        """A bot that reached the Bot API (tried every few seconds), or None if `stop` came first."""
        bot = make_bot(self.settings)
        while not stop.is_set():
            try:
                await bot.initialize()
                return bot
            except TelegramError as err:
                log.warning("telegram: cannot reach the Bot API yet (%s); trying again", err)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), RETRY_START_S)
        return None

    async def drain(self, bot: Bot) -> int:
        """Process every stored update that is due now (what the worker does each time it wakes)."""
        return await drain(self.sessions, lambda payload: self._process(bot, payload))

    async def _process(self, bot: Bot, payload: dict[str, Any]) -> None:
        update = Update.de_json(payload, bot)
        await self.adapter.process(update)
