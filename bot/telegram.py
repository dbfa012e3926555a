"""The Telegram channel on python-telegram-bot: updates in, the engine's replies out as native messages.

Choices become inline keyboards whose callback data is the choice id (or `#<number>` when an id would not
fit Telegram's 64 bytes); they can also be typed, by number or words, like in every channel. Text is sent
without a parse mode, so `_*[]()` in a user's or operator's words can never break a message, and is split
at paragraph boundaries to stay under Telegram's 4,096 characters. Photos and documents go to the attachment
store; `/start <payload>` from a deep link (`t.me/<bot>?start=ulb_jatni`) answers the ULB question for
the user when the conversation gets there.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.telegram_chats import SqlTelegramChats
from bot.telegram_media import fetch, limit_of, media_of
from bot.telegram_text import TEXT_LIMIT as TEXT_LIMIT
from bot.telegram_text import split_text as split_text
from bot.telegram_text import utf16_len as utf16_len
from core.channel import ChatEngine
from core.errors import NotFound
from core.i18n import DEFAULT_LANGUAGE, LANGUAGES, Catalog
from core.messages import ANSWER, ASKS, PROFILE, ULB_FIELD, Choice, Inbound, Reply, UserRef
from core.settings import Settings, Ulb
from tickets.attachments import AttachmentStore, TooLarge

if TYPE_CHECKING:
    from bot.telegram_group import OperatorsGroup

log = logging.getLogger(__name__)

CHANNEL = "telegram"
CALLBACK_DATA_LIMIT = 64  # bytes
NUMBER_PREFIX = "#"  # callback data that stands for the choice's number, for ids too long to send
DEFAULT_API_URL = "https://api.telegram.org/bot"
DEFAULT_FILE_URL = "https://api.telegram.org/file/bot"


COMMANDS = ("start", "help", "status", "language", "human", "cancel")  # the menu beside the text box


def make_bot(settings: Settings) -> Bot:
    """A Bot for the configured token, talking to the configured API (a local fake in tests)."""
    if not settings.telegram_token:
        raise ValueError("HELPDESK_TELEGRAM_TOKEN is not set")
    return Bot(settings.telegram_token, base_url=settings.telegram_api_url or DEFAULT_API_URL,
               base_file_url=settings.telegram_file_url or DEFAULT_FILE_URL)


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
    """The engine's event for a user's text, photo, document or button press; None for anything else.

    Its key is the message's id or the callback query's id, so a redelivered update counts once."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != "private":
        return None
    ref, hint = UserRef(CHANNEL, str(chat.id)), user.language_code
    query = update.callback_query
    if query is not None and query.data:
        key = f"q{query.id}"
        if query.data.startswith(NUMBER_PREFIX):
            return Inbound(ref, text=query.data[len(NUMBER_PREFIX):], message_id=key, language_hint=hint)
        return Inbound(ref, choice=query.data, message_id=key, language_hint=hint)
    message = update.message
    if message is not None and (message.text or media_of(message)):
        text = message.text or message.caption or ""
        return Inbound(ref, text=text, message_id=f"m{message.message_id}", language_hint=hint)
    return None


def ulb_of_start(payload: str, ulbs: list[Ulb]) -> str | None:
    """The ULB code a deep link's payload names: `ulb_jatni` or `ulb_od_jatni` for `od.jatni`."""
    name = payload.strip().casefold().removeprefix("ulb_")
    for ulb in ulbs:
        code = ulb.code.casefold()
        if name and name in (code.rsplit(".", 1)[-1], code.replace(".", "_")):
            return ulb.code
    return None


class TelegramAdapter:
    """Holds the engine and translates between it and Telegram. Without `sessions` deep links are ignored;
    without `attachments` photos and documents count only by their caption."""

    def __init__(
        self, engine: ChatEngine, *, settings: Settings | None = None,
        sessions: async_sessionmaker[AsyncSession] | None = None, attachments: AttachmentStore | None = None,
        group: OperatorsGroup | None = None,
    ) -> None:
        self._engine = engine
        self._group = group
        self._settings = settings
        self._sessions = sessions
        self._attachments = attachments

    async def process(self, update: Update) -> None:
        """Handle one update; kinds the bot does not use are logged and dropped, never raised."""
        if update.callback_query is not None:
            try:  # stops the button's spinner whatever happens next
                await update.callback_query.answer()
            except BadRequest as err:  # a query too old to answer; the press still counts
                log.info("could not answer callback query %s: %s", update.callback_query.id, err)
        chat = update.effective_chat
        if self._group is not None and chat is not None and chat.id == self._group.chat_id:
            await self._group.handle(update, update.get_bot())
            return
        inbound = inbound_of(update)
        if inbound is None:
            log.info("ignoring telegram update %s: %s", update.update_id, _kind(update))
            return
        bot, chat_id = update.get_bot(), int(inbound.user.user_id)
        await _typing(bot, chat_id)
        inbound = await self._with_attachment(bot, update, inbound)
        if inbound is None:
            return
        inbound, start_ulb = self._split_start(inbound)
        replies = await self._engine.handle(inbound)
        replies = await self._answer_ulb(inbound, replies, start_ulb)
        for reply in replies:
            await send_reply(bot, chat_id, reply, self._attachments)

    async def _with_attachment(self, bot: Bot, update: Update, inbound: Inbound) -> Inbound | None:
        """The event with the message's file stored and attached; None if nothing is left to handle."""
        media = media_of(update.message) if update.message is not None else None
        if media is None:
            return inbound
        if self._attachments is None:
            return inbound if inbound.text else None
        try:
            attachment = await fetch(bot, media, self._attachments)
        except TooLarge:
            limit_mb = limit_of(self._attachments) // (1024 * 1024)
            notice = {"key": "attachment.too_large", "fields": {"limit": limit_mb}}
            await send_reply(bot, int(inbound.user.user_id),
                             await self._engine.render_for(inbound.user, "notice", notice))
            return inbound if inbound.text else None
        return dataclasses.replace(inbound, attachments=(attachment,))

    def _split_start(self, inbound: Inbound) -> tuple[Inbound, str | None]:
        """`/start payload` as the plain /start command, and the ULB the payload names (if any)."""
        command, _, payload = (inbound.text or "").partition(" ")
        if command != "/start" or not payload.strip():
            return inbound, None
        ulb = ulb_of_start(payload, self._settings.ulbs) if self._settings else None
        if ulb is None:
            log.info("ignoring unknown /start payload %.64r", payload)
        return dataclasses.replace(inbound, text="/start"), ulb

    async def _answer_ulb(self, inbound: Inbound, replies: list[Reply], start_ulb: str | None) -> list[Reply]:
        """Answer the ULB question for the user with the one their deep link named, when it is asked (and,
        since the user just wrote, note that they can be reached again if they had blocked the bot).

        The link's ULB waits while the replies ask the rest of the profile (or ask nothing), and is dropped
        once they ask anything else: the user's ULB is then known already."""
        if self._sessions is None:
            return replies
        chat = inbound.user.user_id
        async with self._sessions() as session, session.begin():
            chats = SqlTelegramChats(session)
            await chats.reachable(chat)
            if start_ulb is not None:
                await chats.set_start_ulb(chat, start_ulb)
            pending = start_ulb or await chats.start_ulb(chat)
        if pending is None:
            return replies
        asked = next((reply for reply in reversed(replies) if ANSWER in reply.meta), None)
        field = asked.meta.get(ASKS, "") if asked is not None else PROFILE
        if field != ULB_FIELD and field.startswith(PROFILE):
            return replies
        if field == ULB_FIELD:
            picked = Inbound(inbound.user, choice=pending, message_id=f"{inbound.message_id}:ulb",
                             language_hint=inbound.language_hint)
            replies = [reply for reply in replies if reply is not asked] + await self._engine.handle(picked)
        async with self._sessions() as session, session.begin():
            await SqlTelegramChats(session).set_start_ulb(chat, None)
        return replies

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


async def send_reply(bot: Bot, chat_id: int, reply: Reply, files: AttachmentStore | None = None) -> None:
    """The reply as one or more plain-text messages; its choices go on the last piece; then its files (an
    operator's reply the user's message picked up), read from `files`."""
    pieces = split_text(reply.text)
    for index, piece in enumerate(pieces):
        markup = keyboard(reply.choices) if index == len(pieces) - 1 else None
        await bot.send_message(chat_id, piece, reply_markup=markup)
    if files is None:
        return
    for file in reply.files:
        try:
            upload = InputFile(files.read(file.ref), filename=file.name or file.ref)
        except NotFound:
            log.warning("telegram: the attachment %s of a reply is no longer kept", file.ref)
            continue
        if file.kind == "image":
            await bot.send_photo(chat_id, upload)
        else:
            await bot.send_document(chat_id, upload)


async def set_commands(bot: Bot, catalog: Catalog) -> None:
    """The command menu in each catalogue language (English also for every other language)."""
    for lang in LANGUAGES:
        commands = [BotCommand(c, catalog.text(f"telegram.command.{c}", lang)) for c in COMMANDS]
        await bot.set_my_commands(commands, language_code=None if lang == DEFAULT_LANGUAGE else lang)


async def _typing(bot: Bot, chat_id: int) -> None:
    try:
        await bot.send_chat_action(chat_id, ChatAction.TYPING)
    except TelegramError as err:  # only a courtesy
        log.info("could not show typing in chat %s: %s", chat_id, err)


async def _log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("telegram update %r failed", getattr(update, "update_id", None), exc_info=context.error)


def _kind(update: Update) -> str:
    data = update.to_dict()
    return ",".join(sorted(k for k in data if k != "update_id")) or "unknown"
