"""The Telegram channel on python-telegram-bot: updates in, the engine's replies out as native messages.

Choices become inline keyboards whose callback data is the choice id (or `#<number>` when an id would not
fit Telegram's 64 bytes); they can also be typed, by number or words, like in every channel. Text is sent
without a parse mode, so `_*[]()` in a user's or operator's words can never break a message, and is split
at paragraph boundaries to stay under Telegram's 4,096 characters.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from core.messages import Choice, Inbound, Reply, UserRef
from core.settings import Settings

log = logging.getLogger(__name__)

CHANNEL = "telegram"
TEXT_LIMIT = 4096  # UTF-16 code units, as Telegram counts
CALLBACK_DATA_LIMIT = 64  # bytes
NUMBER_PREFIX = "#"  # callback data that stands for the choice's number, for ids too long to send
DEFAULT_API_URL = "https://api.telegram.org/bot"
DEFAULT_FILE_URL = "https://api.telegram.org/file/bot"


class ChatEngine(Protocol):
    async def handle(self, inbound: Inbound) -> list[Reply]: ...


def make_bot(settings: Settings) -> Bot:
    """A Bot for the configured token, talking to the configured API (a local fake in tests)."""
    if not settings.telegram_token:
        raise ValueError("HELPDESK_TELEGRAM_TOKEN is not set")
    return Bot(settings.telegram_token, base_url=settings.telegram_api_url or DEFAULT_API_URL,
               base_file_url=settings.telegram_file_url or DEFAULT_FILE_URL)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces under `limit`, cut at paragraph breaks, else line breaks, else spaces, else anywhere."""
    if utf16_len(text) <= limit:
        return [text]
    for separator in ("\n\n", "\n", " "):
        head, found, _ = text[: _fit(text, limit)].rpartition(separator)
        if found and head.strip():
            rest = text[len(head) + len(separator):]
            return [head, *split_text(rest, limit)] if rest.strip() else [head]
    cut = _fit(text, limit)
    return [text[:cut], *split_text(text[cut:], limit)]


def _fit(text: str, limit: int) -> int:
    """The longest prefix length (in characters) whose UTF-16 length is at most `limit`."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def callback_data(choice: Choice, number: int) -> str:
    return choice.id if len(choice.id.encode()) <= CALLBACK_DATA_LIMIT else f"{NUMBER_PREFIX}{number}"


def keyboard(choices: tuple[Choice, ...]) -> InlineKeyboardMarkup | None:
    """One button per row: labels in Odia or Hindi are long, and a column reads like the numbered menu."""
    if not choices:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(c.label, callback_data=callback_data(c, n))] for n, c in enumerate(choices, 1)]
    )


def inbound_of(update: Update) -> Inbound | None:
    """The engine's event for a user's text or button press; None for anything else."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != "private":
        return None
    ref, key, hint = UserRef(CHANNEL, str(chat.id)), f"u{update.update_id}", user.language_code
    query = update.callback_query
    if query is not None and query.data:
        if query.data.startswith(NUMBER_PREFIX):
            return Inbound(ref, text=query.data[len(NUMBER_PREFIX):], message_id=key, language_hint=hint)
        return Inbound(ref, choice=query.data, message_id=key, language_hint=hint)
    message = update.message
    if message is not None and message.text:
        return Inbound(ref, text=message.text, message_id=key, language_hint=hint)
    return None


class TelegramAdapter:
    """Holds the engine and translates between it and Telegram."""

    def __init__(self, engine: ChatEngine) -> None:
        self._engine = engine

    async def process(self, update: Update) -> None:
        """Handle one update; kinds the bot does not use are logged and dropped, never raised."""
        if update.callback_query is not None:
            try:  # stops the button's spinner whatever happens next
                await update.callback_query.answer()
            except BadRequest as err:  # a query too old to answer; the press still counts
                log.info("could not answer callback query %s: %s", update.callback_query.id, err)
        inbound = inbound_of(update)
        if inbound is None:
            log.info("ignoring telegram update %s: %s", update.update_id, _kind(update))
            return
        bot = update.get_bot()
        for reply in await self._engine.handle(inbound):
            await send_reply(bot, int(inbound.user.user_id), reply)

    async def _on_update(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if isinstance(update, Update):
            await self.process(update)

    def application(self, settings: Settings) -> Application[Any, Any, Any, Any, Any, Any]:
        """A python-telegram-bot application that feeds every update to this adapter."""
        app = (ApplicationBuilder().token(settings.telegram_token or "")
               .base_url(settings.telegram_api_url or DEFAULT_API_URL)
               .base_file_url(settings.telegram_file_url or DEFAULT_FILE_URL).build())
        app.add_handler(TypeHandler(Update, self._on_update))
        app.add_error_handler(_log_error)
        return app


async def send_reply(bot: Bot, chat_id: int, reply: Reply) -> None:
    """The reply as one or more plain-text messages; its choices go on the last piece."""
    pieces = split_text(reply.text)
    for index, piece in enumerate(pieces):
        markup = keyboard(reply.choices) if index == len(pieces) - 1 else None
        await bot.send_message(chat_id, piece, reply_markup=markup)


async def _log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("telegram update %r failed", getattr(update, "update_id", None), exc_info=context.error)


def _kind(update: Update) -> str:
    data = update.to_dict()
    return ",".join(sorted(k for k in data if k != "update_id")) or "unknown"
