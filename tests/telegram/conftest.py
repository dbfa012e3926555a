"""Fixtures: our fake Bot API on 127.0.0.1, and a real python-telegram-bot Bot pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from telegram import Bot

from tests.telegram.fake_bot_api import FakeBotApi

TOKEN = "123456:TEST-token"  # noqa: S105 (a fake bot's token)


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with FakeBotApi().running() as api:
        yield api


@pytest.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=f"{fake.url}/bot", base_file_url=f"{fake.url}/file/bot") as real:
        yield real
