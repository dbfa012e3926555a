"""Chat limits: messages per client address and overall on the web chat and the HTTP chat, and new HTTP chat
conversations (the web chat's own limits on new conversations and photos: tests/web). Refusals are a 429 JSON
error, and the web chat's says so in the user's language. Time is a fixed clock moved by the test. Counted in
the database: two server processes share one count."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from app.wiring import MESSAGES_DIR
from core.i18n import Catalog
from core.settings import Settings
from tests.security.identity_helpers import FixedClock, client_of, use_clock

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, data_dir=tmp_path / "data", chat_conversations_per_address_hour=3,
                    chat_conversations_overall_per_hour=5, chat_messages_per_address_minute=4,
                    chat_messages_overall_per_minute=6, chat_limit_exempt_addresses=["192.0.2.50"])


@pytest.fixture
def clock(app: FastAPI) -> FixedClock:
    fixed = FixedClock()
    use_clock(app, fixed)
    return fixed


async def test_web_chat_messages_over_the_address_limit_get_a_429_json_error_in_the_users_language(
    app: FastAPI, clock: FixedClock,
) -> None:
    async with client_of(app, "198.51.100.1") as one:
        for n in range(4):
            answer = await one.post("/web/chat/send", data={"text": f"hello {n}", "lang": "hi"})
            assert answer.status_code == 200, answer.text
        refused = await one.post("/web/chat/send", data={"text": "one more"})
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
        assert refused.json()["error"] == "rate_limited"
        assert refused.json()["message"] == Catalog.load(MESSAGES_DIR).text("web.chat.rate_limited", "hi")
        clock.advance(seconds=60)
        assert (await one.post("/web/chat/send", data={"text": "again"})).status_code == 200


async def test_http_chat_limits_new_users_and_messages_per_address_but_not_an_exempt_relay(
    app: FastAPI, clock: FixedClock,
) -> None:
    headers = {"X-Channel-Key": "portal-secret"}
    async with client_of(app, "198.51.100.1") as one, client_of(app, "192.0.2.50") as relay:
        for n in range(3):
            answer = await one.post("/chat/messages", headers=headers, json={"user": f"u{n}", "text": "hi"})
            assert answer.status_code == 200, answer.text
        refused = await one.post("/chat/messages", headers=headers, json={"user": "u9", "text": "hi"})
        assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
        assert "too many new chats from this address" in refused.json()["message"]
        known = await one.post("/chat/messages", headers=headers, json={"user": "u0", "text": "hello again"})
        assert known.status_code == 429 and "messages" in known.json()["message"]  # 5 messages: over 4 a minute
        clock.advance(seconds=60)
        assert (await one.post("/chat/messages", headers=headers, json={"user": "u0", "text": "ok"})).status_code == 200
        for n in range(2):  # the relay has no per-address limit; the overall ones still hold
            answer = await relay.post("/chat/messages", headers=headers, json={"user": f"r{n}", "text": "hi"})
            assert answer.status_code == 200
        over = await relay.post("/chat/messages", headers=headers, json={"user": "r9", "text": "hi"})
        assert over.status_code == 429 and "on the helpdesk right now" in over.json()["message"]


async def test_two_server_processes_share_one_count(app: FastAPI, other_app: FastAPI, clock: FixedClock) -> None:
    async with client_of(app, "198.51.100.7") as one, client_of(other_app, "198.51.100.7") as two:
        for n in range(4):  # the address's 4 a minute, spread over both processes
            sent = await (one if n % 2 else two).post("/web/chat/send", data={"text": f"hello {n}"})
            assert sent.status_code == 200, sent.text
        assert (await one.post("/web/chat/send", data={"text": "one more"})).status_code == 429
        assert (await two.post("/web/chat/send", data={"text": "one more"})).status_code == 429
        clock.advance(seconds=60)
        assert (await two.post("/web/chat/send", data={"text": "again"})).status_code == 200
