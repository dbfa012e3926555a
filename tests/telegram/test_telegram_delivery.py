"""Pushing outbox items to Telegram: rendered in the user's language, 429 waited out, 403 not retried."""

from __future__ import annotations

import itertools
import time

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot

from api.app import create_app
from api.deps import ApiContext
from api.tokens import SqlTokenStore
from bot.telegram import TelegramAdapter
from bot.telegram_channel import TelegramChannel
from bot.telegram_sender import TelegramSender
from core.settings import Settings
from flows.engine import Engine
from tests.telegram.conftest import TOKEN
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.test_telegram_adapter import TelegramUser, walk_to_confirm
from tickets.attachments import AttachmentStore, keep_outgoing
from tickets.delivery import DeliveryError
from tickets.desk import SqlTicketDesk
from tickets.outbox import OutboxItem
from tickets.store import SqlTicketStore

CHAT = 6001
# RetryAfter's own constructor warns about its int-or-timedelta change; the sender reads either form
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def reply_item(text: str = "Please try again after 5 pm. Use *Save* [draft]_now_", chat_id: int = CHAT) -> OutboxItem:
    return OutboxItem(1, "telegram", str(chat_id), "operator_reply", {"number": "HD-000042", "text": text}, 0)


async def test_an_operator_reply_is_pushed_as_plain_text_in_the_users_chat(
    fake: FakeBotApi, bot: Bot, engine: Engine
) -> None:
    await TelegramSender(bot, engine.render_for).send(reply_item())
    [message] = fake.sent(CHAT)
    assert message["text"] == (
        "Message from the helpdesk about your ticket HD-000042:\nPlease try again after 5 pm. Use *Save* [draft]_now_"
    )


async def test_an_operators_photo_and_pdf_follow_the_reply_as_a_photo_and_a_document(
    fake: FakeBotApi, bot: Bot, engine: Engine, settings: Settings
) -> None:
    store = AttachmentStore(settings.attachments_dir)
    photo = keep_outgoing(store, b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "where.png")
    circular = keep_outgoing(store, b"%PDF-1.4 the circular", "circular.pdf")
    item = reply_item("See the photo and the circular.")
    item.payload["attachments"] = [photo.as_attachment(), circular.as_attachment()]
    await TelegramSender(bot, engine.render_for, files=store).send(item)
    text, sent_photo, document = fake.sent(CHAT)
    assert "See the photo and the circular." in text["text"]
    assert fake.file_bytes(sent_photo["photo"][0]["file_id"]).startswith(b"\x89PNG")
    assert document["document"]["file_name"] == "circular.pdf"
    assert fake.file_bytes(document["document"]["file_id"]) == b"%PDF-1.4 the circular"


async def test_a_reply_with_a_photo_the_users_own_message_picks_up_brings_the_photo_too(
    fake: FakeBotApi, bot: Bot, engine: Engine, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    store = AttachmentStore(settings.attachments_dir)
    adapter = TelegramAdapter(engine, settings=settings, sessions=sessions, attachments=store)
    user = TelegramUser(fake, bot, adapter, chat_id=CHAT)
    await walk_to_confirm(user)
    await user.presses("file it")
    photo = keep_outgoing(store, b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "where.png")
    async with sessions() as session, session.begin():
        [ticket] = await SqlTicketStore(session).for_user("telegram", str(CHAT))
        await SqlTicketDesk(session, settings).reply(ticket.number, "op-1", "Press this button.", None, (photo,))
    await user.says("any news?")  # before the delivery worker's next pass: the turn carries the reply
    assert [m for m in fake.sent(CHAT) if "photo" in m] and any(
        "Press this button." in str(m.get("text")) for m in fake.sent(CHAT))


async def test_a_429_is_waited_out_for_retry_after_and_then_delivered(
    fake: FakeBotApi, bot: Bot, engine: Engine
) -> None:
    fake.fail("sendMessage", CHAT, 429, retry_after=1)
    started = time.monotonic()
    await TelegramSender(bot, engine.render_for).send(reply_item())
    assert time.monotonic() - started >= 1.0
    assert len(fake.calls("sendMessage")) == 2
    assert len(fake.sent(CHAT)) == 1


async def test_a_long_retry_after_goes_back_to_the_outbox_as_retryable(
    fake: FakeBotApi, bot: Bot, engine: Engine
) -> None:
    fake.fail("sendMessage", CHAT, 429, retry_after=3600)
    with pytest.raises(DeliveryError) as raised:
        await TelegramSender(bot, engine.render_for).send(reply_item())
    assert raised.value.retryable
    assert fake.sent(CHAT) == []


async def test_a_user_who_blocked_the_bot_is_not_retried(fake: FakeBotApi, bot: Bot, engine: Engine) -> None:
    fake.fail("sendMessage", CHAT, 403)
    with pytest.raises(DeliveryError) as raised:
        await TelegramSender(bot, engine.render_for).send(reply_item())
    assert not raised.value.retryable


async def test_a_long_operator_reply_is_split_under_telegrams_limit(
    fake: FakeBotApi, bot: Bot, engine: Engine
) -> None:
    long = "\n\n".join(f"Step {n}: " + "open the bill and save it again. " * 40 for n in range(6))
    await TelegramSender(bot, engine.render_for).send(reply_item(long))
    assert len(fake.sent(CHAT)) >= 2


async def test_messages_to_one_chat_are_paced_a_second_apart(fake: FakeBotApi, bot: Bot, engine: Engine) -> None:
    sender = TelegramSender(bot, engine.render_for)
    for text in ("First answer.", "Second answer.", "Third answer."):
        await sender.send(reply_item(text))
    sent_at = [c.at for c in fake.calls("sendMessage")]
    assert len(sent_at) == 3
    # measured where the fake receives them, so a busy machine's jitter can shift one arrival; unpaced
    # sends would all land within a few milliseconds
    assert sent_at[-1] - sent_at[0] >= 1.8
    assert all(later - earlier >= 0.5 for earlier, later in itertools.pairwise(sent_at))


async def test_a_user_who_blocked_the_bot_shows_as_unreachable_on_their_ticket(
    fake: FakeBotApi, bot: Bot, engine: Engine, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    user = TelegramUser(fake, bot, TelegramAdapter(engine), chat_id=CHAT)
    await walk_to_confirm(user)
    await user.presses("file it")
    channel = TelegramChannel(settings.model_copy(update={"telegram_token": TOKEN}), sessions, engine)
    sender = TelegramSender(bot, engine.render_for, on_blocked=channel.blocked)
    fake.fail("sendMessage", CHAT, 403, times=2)
    for _ in range(2):
        with pytest.raises(DeliveryError) as raised:
            await sender.send(reply_item())
        assert not raised.value.retryable
    events = await ticket_events(settings, sessions)
    assert [e["action"] for e in events].count("unreachable") == 1, "marked once, however often it fails"
    back = TelegramUser(fake, bot, TelegramAdapter(engine, settings=settings, sessions=sessions), chat_id=CHAT)
    await back.deliver(fake.text_update(CHAT, "status"), update_id=99)  # unblocked the bot and wrote again
    assert [e["action"] for e in await ticket_events(settings, sessions)][-1] == "reachable"


async def ticket_events(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> list[dict[str, object]]:
    """The filed ticket's history as an operator sees it in the API."""
    async with sessions() as session, session.begin():
        name = f"priya-{time.monotonic_ns()}"
        token = await SqlTokenStore(session).create(name, "operator", None, [t.code for t in settings.teams])
    app = create_app(ApiContext(settings, sessions))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://helpdesk") as client:
        headers = {"Authorization": f"Bearer {token}"}
        [ticket] = (await client.get("/api/tickets", headers=headers)).json()["items"]
        detail = (await client.get(f"/api/tickets/{ticket['number']}", headers=headers)).json()
    return list(detail["events"])
