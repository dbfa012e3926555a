"""Fixtures: our fake Bot API on 127.0.0.1, and a real python-telegram-bot Bot pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from telegram import Bot

from tests.jsonchat import helpdesk_env
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


@pytest.fixture
def env(database_url: str, tmp_path: Path, fake: FakeBotApi) -> dict[str, str]:
    """The environment of a `helpdesk` process whose bot talks to the fake."""
    return helpdesk_env(database_url, tmp_path / "data") | {
        "HELPDESK_TELEGRAM_TOKEN": TOKEN, "HELPDESK_TELEGRAM_API_URL": f"{fake.url}/bot",
        "HELPDESK_TELEGRAM_FILE_URL": f"{fake.url}/file/bot",
        "HELPDESK_DELIVERY_SECONDS": "0.2",  # an operator's reply is pushed within 0.2 s, not 2 s as shipped
    }
