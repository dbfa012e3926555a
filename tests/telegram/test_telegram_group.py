"""The operators' supergroup: a topic per ticket, worked from Telegram by the operators listed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Update

from bot.telegram_channel import TelegramChannel
from bot.telegram_group import OperatorsGroup
from bot.telegram_sender import TelegramSender
from core.settings import Settings
from flows.engine import Engine
from tests.telegram.conftest import TOKEN
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.test_telegram_adapter import TelegramUser, walk_to_confirm
from tickets.delivery import deliver_due
from tickets.desk import SqlTicketDesk
from tickets.models import TicketRow

GROUP = -1001234567890
PRIYA, STRANGER = 501, 666
USER_CHAT = 5001  # TelegramUser's default chat


@pytest.fixture
def channel(settings: Settings, sessions: async_sessionmaker[AsyncSession], engine: Engine,
            fake: FakeBotApi) -> TelegramChannel:
    configured = settings.model_copy(update={
        "telegram_token": TOKEN, "telegram_api_url": f"{fake.url}/bot", "telegram_operators_chat": GROUP,
        "telegram_operators": {str(PRIYA): "priya"},
    })
    return TelegramChannel(configured, sessions, engine)


@pytest.fixture
def group(channel: TelegramChannel) -> OperatorsGroup:
    assert channel.group is not None
    return channel.group


@pytest.fixture
async def ticket(fake: FakeBotApi, bot: Bot, channel: TelegramChannel, group: OperatorsGroup) -> str:
    """A ticket the user filed by buttons, with its topic opened; returns its number."""
    user = TelegramUser(fake, bot, channel.adapter)
    await walk_to_confirm(user)
    await user.presses("file it")
    await group.sync(bot)
    [topic] = fake.topics(GROUP).values()
    return str(topic["name"]).split(" ")[0]


async def in_topic(fake: FakeBotApi, bot: Bot, channel: TelegramChannel, who: int, text: str) -> list[str]:
    """Someone writes in the ticket's topic; returns what the bot then said in the topic."""
    [(thread, topic)] = fake.topics(GROUP).items()
    before = len(topic["messages"])
    update: dict[str, Any] = {"update_id": len(fake.calls()) + 10_000, **fake.group_update(GROUP, thread, who, text)}
    await channel.adapter.process(Update.de_json(update, bot))
    return list(fake.topics(GROUP)[thread]["messages"][before:])


async def row(sessions: async_sessionmaker[AsyncSession], settings: Settings, number: str) -> TicketRow:
    async with sessions() as session:
        return await SqlTicketDesk(session, settings).row(number)


async def test_a_new_ticket_opens_one_topic_with_its_summary(
    fake: FakeBotApi, bot: Bot, group: OperatorsGroup, ticket: str
) -> None:
    await group.sync(bot)
    [topic] = fake.topics(GROUP).values()
    assert topic["name"].startswith(ticket) and not topic["closed"]
    assert "the bill page shows an error when I save" in topic["messages"][0]
    assert "od.jatni" in topic["messages"][0]


async def test_an_operators_message_in_the_topic_reaches_the_user_as_a_reply(
    fake: FakeBotApi, bot: Bot, channel: TelegramChannel, ticket: str, settings: Settings,
    sessions: async_sessionmaker[AsyncSession], engine: Engine,
) -> None:
    said = await in_topic(fake, bot, channel, PRIYA, "Please save the bill again (*after* 5 pm) [draft]")
    assert said == [], "a reply needs no confirmation in the topic"
    result = await deliver_due(sessions, {"telegram": TelegramSender(bot, engine.render_for)})
    assert len(result.delivered) == 1
    assert fake.sent(USER_CHAT)[-1]["text"].endswith("Please save the bill again (*after* 5 pm) [draft]")
    async with sessions() as session:
        desk = SqlTicketDesk(session, settings)
        [message] = await desk.messages((await desk.row(ticket)).id)
    assert (message.author, message.kind) == ("priya", "reply")


async def test_operators_claim_note_escalate_and_resolve_in_the_topic_and_strangers_cannot(
    fake: FakeBotApi, bot: Bot, channel: TelegramChannel, group: OperatorsGroup, ticket: str, settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    assert await in_topic(fake, bot, channel, STRANGER, "/claim") == []
    assert (await row(sessions, settings, ticket)).assignee is None
    assert await in_topic(fake, bot, channel, PRIYA, "/claim") == [f"{ticket} claimed by priya."]
    await in_topic(fake, bot, channel, PRIYA, "/note the user's ULB is on the old version")
    [refused] = await in_topic(fake, bot, channel, PRIYA, "/escalate nowhere")
    assert refused.startswith("Not done: team: must be one of")
    await in_topic(fake, bot, channel, PRIYA, "/escalate@muktasoft_helpdesk_bot vendor")
    assert (await row(sessions, settings, ticket)).escalated_to == "vendor"
    await in_topic(fake, bot, channel, PRIYA, "/resolve Fixed in release 1.4.2")
    resolved = await row(sessions, settings, ticket)
    assert (resolved.assignee, resolved.status) == ("priya", "resolved")
    async with sessions() as session, session.begin():
        await SqlTicketDesk(session, settings).close(ticket, "priya", None)
    await group.sync(bot)
    [topic] = fake.topics(GROUP).values()
    assert topic["closed"], "the topic closes with the ticket"
