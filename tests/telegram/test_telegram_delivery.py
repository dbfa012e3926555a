"""Pushing outbox items to Telegram: rendered in the user's language, 429 waited out, 403 not retried."""

from __future__ import annotations

import time

import pytest
from telegram import Bot

from bot.telegram_sender import TelegramSender
from flows.engine import Engine
from tests.telegram.fake_bot_api import FakeBotApi
from tickets.delivery import DeliveryError
from tickets.outbox import OutboxItem

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
