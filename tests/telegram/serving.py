"""`helpdesk serve --telegram MODE` as a real process for the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests import serving as serve_process
from tests.telegram.fake_bot_api import FakeBotApi


@contextmanager
def serving(env: dict[str, str], fake: FakeBotApi, mode: str) -> Iterator[str]:
    """The server's URL once it answers (and, polling, once it polls); stopped afterwards."""
    with serve_process.serving(env, "--telegram", mode,
                               also=lambda: mode != "polling" or bool(fake.calls("getUpdates"))) as url:
        yield url
