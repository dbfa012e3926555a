"""The webhook route on the real app: secret checked, each update stored once and processed once, anything
it cannot use acknowledged. The inbox worker's pass is run by the test (`channel.drain`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from telegram import Bot

from app.wiring import Services, build_app, build_services
from bot.telegram_channel import TelegramChannel
from bot.telegram_webhook import PATH, SECRET_HEADER
from core.db import make_engine, make_sessions
from core.settings import Settings
from tests.telegram.conftest import TOKEN
from tests.telegram.fake_bot_api import FakeBotApi
from tickets.models import TicketRow

CHAT = 8001
SECRET = "correct-horse-battery-staple"  # noqa: S105 (the test's webhook secret)


@pytest.fixture
async def services(settings: Settings, fake: FakeBotApi) -> AsyncIterator[Services]:
    settings = settings.model_copy(update={
        "telegram_token": TOKEN, "telegram_api_url": f"{fake.url}/bot", "telegram_file_url": f"{fake.url}/file/bot",
        "telegram_webhook_secret": SECRET,
    })
    built = build_services(settings)
    yield built
    await built.db.dispose()


@pytest.fixture
def channel(services: Services) -> TelegramChannel:
    assert services.telegram is not None
    return services.telegram


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://helpdesk") as c:
        yield c


class Telegram:
    """Telegram posting one user's updates to the webhook, then the worker's pass."""

    def __init__(self, fake: FakeBotApi, client: httpx.AsyncClient, channel: TelegramChannel, bot: Bot) -> None:
        self.fake, self.client, self.channel, self.bot = fake, client, channel, bot
        self.next_id = 500

    def numbered(self, update: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        return {"update_id": self.next_id, **update}

    async def post(self, update: dict[str, Any], secret: str = SECRET) -> int:
        return (await self.client.post(PATH, json=update, headers={SECRET_HEADER: secret})).status_code

    async def deliver(self, update: dict[str, Any]) -> None:
        assert await self.post(self.numbered(update)) == 200
        await self.channel.drain(self.bot)

    async def says(self, text: str) -> None:
        await self.deliver(self.fake.text_update(CHAT, text))

    async def presses(self, words: str) -> None:
        await self.deliver(self.fake.press_update(CHAT, words))


@pytest.fixture
def telegram(fake: FakeBotApi, client: httpx.AsyncClient, channel: TelegramChannel, bot: Bot) -> Telegram:
    return Telegram(fake, client, channel, bot)


async def tickets(services: Services) -> int:
    async with services.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(TicketRow)) or 0)


async def test_a_wrong_or_missing_secret_gets_403_and_nothing_is_processed(
    telegram: Telegram, fake: FakeBotApi
) -> None:
    update = telegram.numbered(fake.text_update(CHAT, "/start"))
    assert await telegram.post(update, secret="guess") == 403  # noqa: S106 (a wrong secret)
    assert (await telegram.client.post(PATH, json=update)).status_code == 403
    assert await telegram.channel.drain(telegram.bot) == 0
    assert fake.sent(CHAT) == []


async def test_the_same_update_posted_five_times_files_one_ticket(
    telegram: Telegram, fake: FakeBotApi, services: Services
) -> None:
    await telegram.says("/start")
    for words in ("Junior", "Jatni"):
        await telegram.presses(words)
    await telegram.says("The attendance page shows an error and the muster roll total is wrong")
    if "not my problem" in str(fake.sent(CHAT)[-1].get("reply_markup")):
        await telegram.presses("not my problem")
    for words in ("muster roll", "not working", "only for me", "No"):
        await telegram.presses(words)
    confirm = telegram.numbered(fake.press_update(CHAT, "file it"))
    statuses = await asyncio.gather(*(telegram.post(confirm) for _ in range(5)))  # at once
    statuses += [await telegram.post(confirm) for _ in range(5)]  # one after another
    await asyncio.gather(telegram.channel.drain(telegram.bot), telegram.channel.drain(telegram.bot))
    assert statuses == [200] * 10
    assert await tickets(services) == 1
    filed = [m["text"] for m in fake.sent(CHAT) if "HD-" in m["text"]]
    assert len(filed) == 1, "the user is told about the ticket once"


async def test_unknown_update_kinds_and_edits_get_200_and_no_reply(telegram: Telegram, fake: FakeBotApi) -> None:
    kinds = [{"a_kind_from_the_future": {"chat": {"id": CHAT}}},
             {"edited_message": {**fake.text_update(CHAT, "oops")["message"], "edit_date": 1}},
             {"message_reaction_count": {"chat": {"id": CHAT, "type": "private"}, "message_id": 1, "date": 0,
                                         "reactions": []}}]
    for update in kinds:
        await telegram.deliver(update)
    assert await telegram.post({"no": "update id"}) == 200
    assert (await telegram.client.post(PATH, content=b"{not json", headers={SECRET_HEADER: SECRET})).status_code == 200
    assert fake.sent(CHAT) == []
    await telegram.says("/start")
    assert fake.sent(CHAT), "the bot still answers afterwards"


async def test_an_update_stored_before_a_restart_is_processed_after_it(
    telegram: Telegram, fake: FakeBotApi, services: Services, bot: Bot
) -> None:
    assert await telegram.post(telegram.numbered(fake.text_update(CHAT, "/start"))) == 200
    restarted = TelegramChannel(services.settings, services.sessions, services.engine)  # a new process's worker
    assert await restarted.drain(bot) == 1
    assert fake.sent(CHAT), "the stored update was answered"
    assert await restarted.drain(bot) == 0, "and only once"


async def test_an_update_that_cannot_be_stored_gets_a_non_2xx_so_telegram_retries(
    services: Services, fake: FakeBotApi, tmp_path: Path
) -> None:
    away = services.settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'gone' / 'x.db'}"})
    db = make_engine(away.resolved_database_url())
    broken = TelegramChannel(away, make_sessions(db), services.engine)
    app = build_app(Services(away, db, make_sessions(db), services.matcher, services.engine, services.due,
                             services.policy, broken, channels=[broken]))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://helpdesk") as client:
        answer = await client.post(PATH, json={"update_id": 1, **fake.text_update(CHAT, "/start")},
                                   headers={SECRET_HEADER: SECRET})
    await db.dispose()
    assert answer.status_code >= 500
