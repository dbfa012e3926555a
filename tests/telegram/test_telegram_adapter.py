"""The Telegram adapter in-process: real python-telegram-bot objects, our engine, the fake Bot API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Update

from bot.telegram import TelegramAdapter, send_reply, split_text, utf16_len
from core.messages import Reply, UserRef
from flows.engine import Engine
from tests.telegram.fake_bot_api import FakeBotApi
from tickets.models import TicketRow

CHAT = 5001
ASHA = UserRef("telegram", str(CHAT))


class TelegramUser:
    """One Telegram user whose updates go straight to the adapter, each with a fresh update id."""

    def __init__(self, fake: FakeBotApi, bot: Bot, adapter: TelegramAdapter, chat_id: int = CHAT) -> None:
        self.fake, self.bot, self.adapter, self.chat_id = fake, bot, adapter, chat_id
        self.next_id = 1

    async def deliver(self, update: dict[str, Any], update_id: int | None = None) -> None:
        if update_id is None:
            update_id, self.next_id = self.next_id, self.next_id + 1
        await self.adapter.process(Update.de_json({"update_id": update_id, **update}, self.bot))

    async def says(self, text: str) -> None:
        await self.deliver(self.fake.text_update(self.chat_id, text))

    async def presses(self, words: str) -> None:
        await self.deliver(self.fake.press_update(self.chat_id, words))

    def last_text(self) -> str:
        return str(self.fake.sent(self.chat_id)[-1]["text"])


async def walk_to_confirm(user: TelegramUser) -> None:
    await user.says("/start")
    for words in ("Junior", "Jatni"):
        await user.presses(words)
    await user.says("the bill page shows an error when I save")
    if "not my problem" in str(user.fake.sent(user.chat_id)[-1].get("reply_markup")):
        await user.presses("not my problem")
    for words in ("Bills", "not working", "only for me", "No"):
        await user.presses(words)


async def ticket_count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(TicketRow)) or 0)


async def test_the_same_update_delivered_five_times_files_one_ticket(
    fake: FakeBotApi, bot: Bot, engine: Engine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    user = TelegramUser(fake, bot, TelegramAdapter(engine))
    await walk_to_confirm(user)
    confirm = fake.press_update(CHAT, "file it")
    for _ in range(5):
        await user.deliver(confirm, update_id=777)
    assert await ticket_count(sessions) == 1
    assert await engine.state_of(ASHA) == "filed"
    assert len(fake.answered()) == len(fake.calls("answerCallbackQuery"))  # every press answered


async def test_buttons_carry_short_callback_data_and_text_has_no_parse_mode(
    fake: FakeBotApi, bot: Bot, engine: Engine
) -> None:
    user = TelegramUser(fake, bot, TelegramAdapter(engine))
    await user.says("/start")
    keyboards = [m["reply_markup"]["inline_keyboard"] for m in fake.sent(CHAT) if m.get("reply_markup")]
    assert keyboards, "the first question comes with buttons"
    data = [b["callback_data"] for rows in keyboards for row in rows for b in row]
    assert all(0 < len(d.encode()) <= 64 for d in data)
    assert not any(c.params.get("parse_mode") for c in fake.calls("sendMessage"))


async def test_a_typed_number_answers_like_a_button(fake: FakeBotApi, bot: Bot, engine: Engine) -> None:
    user = TelegramUser(fake, bot, TelegramAdapter(engine))
    await user.says("/start")
    before = await engine.state_of(ASHA)
    await user.says("1")
    assert await engine.state_of(ASHA) != before


async def test_an_unknown_update_kind_is_ignored_without_a_reply(fake: FakeBotApi, bot: Bot, engine: Engine) -> None:
    user = TelegramUser(fake, bot, TelegramAdapter(engine))
    await user.deliver({"message_reaction_count": {"chat": {"id": CHAT, "type": "private"}, "message_id": 1,
                                                   "date": 0, "reactions": []}})
    await user.deliver({"a_kind_from_the_future": {"x": 1}})
    await user.deliver({"edited_message": {**fake.text_update(CHAT, "oops")["message"], "edit_date": 1}})
    assert fake.sent(CHAT) == []
    await user.says("/start")
    assert fake.sent(CHAT), "the bot still answers afterwards"


async def test_a_reply_over_4096_characters_arrives_in_pieces_cut_at_paragraphs(
    fake: FakeBotApi, bot: Bot
) -> None:
    paragraphs = [f"Paragraph {n}: " + "word " * 150 for n in range(12)]  # about 9,000 characters
    await send_reply(bot, CHAT, Reply("\n\n".join(paragraphs)))
    pieces = [m["text"] for m in fake.sent(CHAT)]
    assert len(pieces) == 3
    assert all(utf16_len(p) <= 4096 for p in pieces)
    assert all(p.startswith("Paragraph") for p in pieces)
    assert "\n\n".join(pieces) == "\n\n".join(paragraphs)


def test_splitting_counts_utf16_units_and_cuts_unbroken_text() -> None:
    emoji = "\U0001f600" * 3000  # 6,000 UTF-16 units, no break anywhere
    pieces = split_text(emoji)
    assert [utf16_len(p) for p in pieces] == [4096, 1904]
    assert split_text("short") == ["short"]
