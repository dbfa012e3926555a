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


async def _filed(user: TelegramUser, sessions: async_sessionmaker[AsyncSession]) -> str:
    await walk_to_confirm(user)
    await user.presses("file it")
    async with sessions() as session:
        [ticket] = await SqlTicketStore(session).for_user("telegram", str(user.chat_id))
    return ticket.number


async def _desk(sessions: async_sessionmaker[AsyncSession], settings: Settings, action: str, *args: object) -> None:
    async with sessions() as session, session.begin():
        await getattr(SqlTicketDesk(session, settings), action)(*args)


async def _user_messages(sessions: async_sessionmaker[AsyncSession], settings: Settings, number: str) -> list[str]:
    async with sessions() as session:
        desk = SqlTicketDesk(session, settings)
        return [m.text for m in await desk.messages((await desk.row(number)).id) if m.kind == "user"]


async def test_the_answer_to_an_operators_question_goes_to_the_ticket_at_once_with_an_undo_button(
    fake: FakeBotApi, bot: Bot, engine: Engine, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    user = TelegramUser(fake, bot, TelegramAdapter(engine), chat_id=CHAT)
    number = await _filed(user, sessions)
    await _desk(sessions, settings, "reply", number, "op-1", "Which bill number fails?", None)
    await _push_outbox(sessions, TelegramSender(bot, engine.render_for))
    assert "Which bill number fails?" in user.last_text()
    await user.says("bill 42 of ward 7")
    answer = fake.sent(CHAT)[-1]
    assert f"I added your message to ticket {number}" in str(answer["text"])
    assert _buttons(answer) == [("This is a new problem", f"split:{number}")]  # no "is this about ...?" first
    assert await _user_messages(sessions, settings, number) == ["bill 42 of ward 7"]
    await user.presses("new problem")
    assert "Which part of the app" in user.last_text()
    assert await _user_messages(sessions, settings, number) == []


async def test_a_stale_add_it_button_pressed_after_the_resolution_is_answered_and_the_message_kept(
    fake: FakeBotApi, bot: Bot, engine: Engine, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    user = TelegramUser(fake, bot, TelegramAdapter(engine), chat_id=CHAT)
    number = await _filed(user, sessions)
    await user.says("language")
    await user.presses("हिन्दी")
    await user.says("बिल 42 में भी यही हो रहा है")
    add = fake.press_update(CHAT, "में जोड़ें")  # "हाँ, HD-… में जोड़ें", pressed only later
    await _desk(sessions, settings, "resolve", number, "op-1", None, None)
    await _push_outbox(sessions, TelegramSender(bot, engine.render_for))
    await user.deliver(add)  # Telegram keeps the old button on screen: it is answered, not ignored
    said = [str(m["text"]) for m in fake.sent(CHAT)[-3:]]
    assert any(f"आपके लिखते समय टिकट {number} हल हो गया" in text for text in said), said
    assert len(fake.answered()) == len(fake.calls("answerCallbackQuery"))  # the press itself answered
    await user.presses("अब भी काम नहीं")
    assert await _user_messages(sessions, settings, number) == ["बिल 42 में भी यही हो रहा है"]
    async with sessions() as session:
        assert (await SqlTicketStore(session).get(number)).status == "reopened"
