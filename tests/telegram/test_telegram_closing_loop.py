"""Closing the loop on Telegram: the pushed resolution carries inline "Fixed" / "Still not working" buttons, and
a press leads to the rating buttons, each labelled once, without the user writing first."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot

from bot.telegram import TelegramAdapter
from bot.telegram_sender import TelegramSender
from core.settings import Settings
from flows.engine import Engine
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.test_telegram_adapter import TelegramUser, walk_to_confirm
from tickets.delivery import deliver_due
from tickets.desk import SqlTicketDesk
from tickets.store import SqlTicketStore

CHAT = 7001


def _buttons(message: dict[str, object]) -> list[tuple[str, str]]:
    markup = message.get("reply_markup") or {}
    assert isinstance(markup, dict)
    return [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row]


async def _push_outbox(sessions: async_sessionmaker[AsyncSession], sender: TelegramSender) -> None:
    """One pass of the delivery worker `helpdesk serve` runs."""
    result = await deliver_due(sessions, {"telegram": sender})
    assert result.delivered and not result.retrying and not result.dead


async def test_the_pushed_resolution_has_buttons_and_fixed_leads_to_the_rating(
    fake: FakeBotApi, bot: Bot, engine: Engine, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    user = TelegramUser(fake, bot, TelegramAdapter(engine), chat_id=CHAT)
    await walk_to_confirm(user)
    await user.presses("file it")
    async with sessions() as session, session.begin():
        [ticket] = await SqlTicketStore(session).for_user("telegram", str(CHAT))
        await SqlTicketDesk(session, settings).resolve(ticket.number, "op-1", "Fixed in today's release.", None)
    await _push_outbox(sessions, TelegramSender(bot, engine.render_for))
    resolution = fake.sent(CHAT)[-1]
    assert "Fixed in today's release." in str(resolution["text"])
    assert _buttons(resolution) == [("Yes, it is fixed", f"fixed:{ticket.number}"),
                                    ("No, it still does not work", f"not_fixed:{ticket.number}")]
    await user.presses("it is fixed")
    assert [text for text, _ in _buttons(fake.sent(CHAT)[-1])] == ["1 (poor)", "2", "3", "4", "5 (excellent)"]
    await user.presses("4")
    await user.says("Thank you, quick help")
    async with sessions() as session:
        rated = await SqlTicketStore(session).get(ticket.number)
    assert (rated.csat_fixed, rated.csat_rating, rated.csat_comment) == (True, 4, "Thank you, quick help")


async def test_an_escalation_is_pushed_to_the_user_in_their_language(
    fake: FakeBotApi, bot: Bot, engine: Engine, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    user = TelegramUser(fake, bot, TelegramAdapter(engine), chat_id=CHAT)
    await walk_to_confirm(user)
    await user.presses("file it")
    await user.says("language")
    await user.presses("हिन्दी")
    async with sessions() as session, session.begin():
        [ticket] = await SqlTicketStore(session).for_user("telegram", str(CHAT))
        await SqlTicketDesk(session, settings).escalate(ticket.number, "op-1", "state_technical", None, None)
    await _push_outbox(sessions, TelegramSender(bot, engine.render_for))
    assert fake.sent(CHAT)[-1]["text"] == (
        f"आपका टिकट {ticket.number} अब इस टीम के पास है: राज्य तकनीकी टीम (आवास एवं शहरी विकास विभाग)। "
        "वे यहीं आपको जवाब देंगे।"
    )
