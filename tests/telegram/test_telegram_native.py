"""What makes the bot feel native on Telegram: screenshots kept with the ticket, deep links, the command
menu in the user's language, "typing..." while it works."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Update

from app.wiring import MESSAGES_DIR
from bot.telegram import TelegramAdapter, set_commands
from bot.telegram_chats import SqlTelegramChats
from core.i18n import Catalog
from core.messages import UserRef
from core.settings import Settings
from flows.engine import Engine
from tests.telegram.fake_bot_api import FakeBotApi
from tickets.attachments import AttachmentStore
from tickets.models import TicketRow

CHAT = 9001
ASHA = UserRef("telegram", str(CHAT))
SCREENSHOT = b"\x89PNG\r\n\x1a\n" + b"error on the bill page " * 200


class User:
    def __init__(self, fake: FakeBotApi, bot: Bot, adapter: TelegramAdapter, lang: str = "en") -> None:
        self.fake, self.bot, self.adapter, self.lang = fake, bot, adapter, lang
        self.next_id = 1

    async def deliver(self, update: dict[str, Any]) -> None:
        self.next_id += 1
        await self.adapter.process(Update.de_json({"update_id": self.next_id, **update}, self.bot))

    async def says(self, text: str) -> None:
        await self.deliver(self.fake.text_update(CHAT, text, self.lang))

    async def presses(self, words: str) -> None:
        await self.deliver(self.fake.press_update(CHAT, words, self.lang))

    async def sends_photo(self, data: bytes, caption: str = "", size: int | None = None) -> None:
        await self.deliver(self.fake.photo_update(CHAT, self.fake.add_file(data, size), caption, self.lang))


@pytest.fixture
def store(settings: Settings) -> AttachmentStore:
    return AttachmentStore(settings.attachments_dir, settings.attachments_max_bytes)


@pytest.fixture
def user(
    fake: FakeBotApi, bot: Bot, engine: Engine, settings: Settings, sessions: async_sessionmaker[AsyncSession],
    store: AttachmentStore,
) -> User:
    return User(fake, bot, TelegramAdapter(engine, settings=settings, sessions=sessions, attachments=store))


async def file_it(user: User) -> None:
    if "not my problem" in str(user.fake.sent(CHAT)[-1].get("reply_markup")):
        await user.presses("not my problem")
    for words in ("Bills", "not working", "only for me", "No", "file it"):
        await user.presses(words)


async def filed(sessions: async_sessionmaker[AsyncSession]) -> TicketRow:
    async with sessions() as session:
        [ticket] = (await session.scalars(select(TicketRow))).all()
        return ticket


async def test_a_photo_with_a_caption_becomes_an_attachment_on_the_ticket(
    user: User, sessions: async_sessionmaker[AsyncSession], store: AttachmentStore
) -> None:
    await user.says("/start")
    for words in ("Junior", "Jatni"):
        await user.presses(words)
    await user.sends_photo(SCREENSHOT, caption="the bill page shows an error when I save")
    await file_it(user)
    ticket = await filed(sessions)
    assert ticket.description == "the bill page shows an error when I save"
    [attachment] = ticket.attachments
    assert attachment["kind"] == "image"
    assert store.read(attachment["ref"]) == SCREENSHOT


async def test_a_photo_alone_is_kept_until_the_user_describes_the_problem(
    user: User, sessions: async_sessionmaker[AsyncSession], store: AttachmentStore
) -> None:
    await user.says("/start")
    for words in ("Junior", "Jatni"):
        await user.presses(words)
    await user.sends_photo(SCREENSHOT)
    assert "attached to your ticket" in " ".join(m["text"] for m in user.fake.sent(CHAT)[-2:])
    await user.says("the bill page shows an error when I save")
    await file_it(user)
    [attachment] = (await filed(sessions)).attachments
    assert store.read(attachment["ref"]) == SCREENSHOT


async def test_a_file_over_20_mb_is_refused_in_the_users_language_without_downloading(
    fake: FakeBotApi, bot: Bot, engine: Engine, settings: Settings, sessions: async_sessionmaker[AsyncSession],
    store: AttachmentStore,
) -> None:
    odia = User(fake, bot, TelegramAdapter(engine, settings=settings, sessions=sessions, attachments=store), "or")
    await odia.says("/start")
    await odia.sends_photo(b"tiny", size=25 * 1024 * 1024)
    [notice] = [m["text"] for m in fake.sent(CHAT) if "20 MB" in m["text"]]
    assert "ଫାଇଲ୍" in notice, "said in Odia"
    assert fake.calls("getFile") == []
    assert not store.root.exists() or not any(store.root.rglob("*.*"))


async def test_a_deep_link_start_payload_answers_the_ulb_question(
    user: User, engine: Engine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await user.says("/start ulb_dhenkanal")
    await user.presses("Junior")
    assert await engine.state_of(ASHA) == "awaiting_problem"
    keyboards = [str(m.get("reply_markup")) for m in user.fake.sent(CHAT)]
    assert not any("Jatni" in k for k in keyboards), "the ULB question was never shown"
    await user.says("the bill page shows an error when I save")
    await file_it(user)
    assert (await filed(sessions)).ulb == "od.dhenkanal"


async def test_a_deep_link_once_the_ulb_is_known_changes_nothing_and_is_forgotten(
    user: User, engine: Engine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await user.says("/start")
    for words in ("Junior", "Jatni"):
        await user.presses(words)
    await user.says("/start ulb_dhenkanal")
    async with sessions() as session:
        assert await SqlTelegramChats(session).start_ulb(str(CHAT)) is None
    await user.says("the bill page shows an error when I save")
    await file_it(user)
    assert (await filed(sessions)).ulb == "od.jatni"


async def test_an_unknown_deep_link_payload_is_ignored(user: User, engine: Engine) -> None:
    await user.says("/start ulb_atlantis")
    await user.presses("Junior")
    assert await engine.state_of(ASHA) == "awaiting_ulb"
    assert "Jatni" in str(user.fake.sent(CHAT)[-1].get("reply_markup"))


async def test_the_bot_shows_typing_before_it_answers(user: User, fake: FakeBotApi) -> None:
    await user.says("/start")
    methods = [c.method for c in fake.calls() if c.method in ("sendChatAction", "sendMessage")]
    assert methods[0] == "sendChatAction"
    assert fake.calls("sendChatAction")[0].params["action"] == "typing"


async def test_the_command_menu_is_set_in_english_odia_and_hindi(fake: FakeBotApi, bot: Bot) -> None:
    await set_commands(bot, Catalog.load(MESSAGES_DIR))
    menus = fake.commands()
    assert sorted(menus) == ["", "hi", "or"]
    for menu in menus.values():
        assert [c["command"] for c in menu] == ["start", "help", "status", "language", "human", "cancel"]
    assert menus["or"][0]["description"] != menus[""][0]["description"]


async def test_a_file_whose_size_telegram_did_not_say_is_refused_when_getfile_finds_it_too_big(
    user: User, fake: FakeBotApi
) -> None:
    await user.says("/start")
    update = fake.photo_update(CHAT, fake.add_file(b"tiny", size=21 * 1024 * 1024))
    del update["message"]["photo"][-1]["file_size"]
    await user.deliver(update)
    assert len(fake.calls("getFile")) == 1
    assert "20 MB" in fake.sent(CHAT)[-1]["text"]
