"""Delivers the outbox's Telegram items (operator replies, resolutions) by pushing them to the user's chat.

An item's choices (a resolution's "Fixed" / "Still not working") go on its last message as inline buttons,
as the adapter renders the engine's replies; a press comes back as a callback query like any other. Files an
operator sent with a reply (`Reply.files`) follow its text, a photo as a photo, a PDF as a document.

Sends are paced (about one a second per chat, thirty a second overall). A 429 is waited out for as long
as Telegram asks (within reason) and tried again; a longer wait goes back to the outbox to retry later. A
user who blocked the bot (403) is reported to `on_blocked` (their tickets show it) and not retried; nor is a
chat that is gone.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.telegram import CHANNEL, keyboard
from bot.telegram_limits import SendPacer
from bot.telegram_text import split_text
from core.channel import DeliveryError, OutboxItem
from core.errors import NotFound
from core.messages import Attachment, Reply, UserRef
from tickets.attachments import AttachmentStore

log = logging.getLogger(__name__)

MAX_WAIT_S = 60.0  # a longer retry_after is left to the outbox's own backoff
MAX_TRIES = 3

Render = Callable[[UserRef, str, dict[str, Any]], Awaitable[Reply]]
OnBlocked = Callable[[str], Awaitable[None]]


class Blocked(DeliveryError):
    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


class TelegramSender:
    """The outbox sender for channel "telegram"."""

    def __init__(
        self, bot: Bot, render: Render, *, pacer: SendPacer | None = None, on_blocked: OnBlocked | None = None,
        files: AttachmentStore | None = None,
    ) -> None:
        """`files`: the attachment store a reply's files are read from (without it, only text is sent)."""
        self._bot = bot
        self._files = files
        self._render = render
        self._pacer = pacer or SendPacer()
        self._on_blocked = on_blocked
        self._ready = False

    async def send(self, item: OutboxItem) -> None:
        """Send the item's text to the user's chat, or raise DeliveryError."""
        reply = await self._render(UserRef(CHANNEL, item.user_id), item.kind, item.payload)
        if not self._ready:
            await self._call(self._bot.initialize)
            self._ready = True
        pieces = split_text(reply.text)
        try:
            for index, piece in enumerate(pieces):
                markup = keyboard(reply.choices) if index == len(pieces) - 1 else None
                await self._send_piece(int(item.user_id), piece, markup)
            for file in reply.files if self._files is not None else ():
                await self._send_file(int(item.user_id), file)
        except Blocked:
            if self._on_blocked is not None:
                await self._on_blocked(item.user_id)
            raise

    async def close(self) -> None:
        if self._ready:
            await self._bot.shutdown()

    async def _send_piece(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        await self._paced(chat_id, lambda: self._bot.send_message(chat_id, text, reply_markup=markup))

    async def _send_file(self, chat_id: int, file: Attachment) -> None:
        assert self._files is not None
        try:
            data = self._files.read(file.ref)
        except NotFound as err:
            raise DeliveryError(f"the attachment {file.name!r} is no longer kept", retryable=False) from err
        upload = InputFile(data, filename=file.name or file.ref)
        if file.kind == "image":
            await self._paced(chat_id, lambda: self._bot.send_photo(chat_id, upload))
        else:
            await self._paced(chat_id, lambda: self._bot.send_document(chat_id, upload))

    async def _paced(self, chat_id: int, send: Callable[[], Awaitable[object]]) -> None:
        """One send, paced for the chat; a short 429 is waited out and tried again."""
        for attempt in range(1, MAX_TRIES + 1):
            await self._pacer.slot(chat_id)
            try:
                await self._call(send)
                return
            except RetryAfter as err:
                wait = _seconds(err)
                if wait > MAX_WAIT_S or attempt == MAX_TRIES:
                    raise DeliveryError(f"rate limited: retry after {wait:.0f} s", retryable=True) from err
                log.info("telegram asked to wait %.0f s before sending to %s", wait, chat_id)
                await asyncio.sleep(wait)

    @staticmethod
    async def _call(send: Callable[[], Awaitable[object]]) -> None:
        try:
            await send()
        except RetryAfter:
            raise
        except Forbidden as err:
            raise Blocked(f"the user blocked the bot: {err}") from err
        except BadRequest as err:
            raise DeliveryError(f"telegram refused the message: {err}", retryable=False) from err
        except TelegramError as err:  # network errors, timeouts, server errors
            raise DeliveryError(f"telegram: {err}", retryable=True) from err


def _seconds(err: RetryAfter) -> float:
    """The wait Telegram asked for; `retry_after` is an int or a timedelta depending on PTB's settings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        retry_after: object = err.retry_after
    total = getattr(retry_after, "total_seconds", None)
    return float(total()) if callable(total) else float(retry_after)  # type: ignore[arg-type]
