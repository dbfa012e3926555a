"""Overload: a user typing too fast is asked to slow down in their language, a token used too often gets 429
with Retry-After, and an oversized request body gets 413; nothing crashes and nothing is lost."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from app.wiring import Services, build_app, build_services
from core.settings import Settings
from tests.api.conftest import auth

PORTAL = {"X-Channel-Key": "portal-secret"}


async def _client(settings: Settings, **limits: int) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    services = build_services(settings.model_copy(update={"channel_keys": {"portal": "portal-secret"}, **limits}))
    app: FastAPI = build_app(services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://helpdesk") as client:
        yield client, services
    await services.db.dispose()


async def test_a_user_over_the_message_limit_is_asked_to_slow_down_in_their_language(settings: Settings) -> None:
    async for client, _ in _client(settings, chat_messages_per_minute=4):
        texts = []
        for i, text in enumerate(("hello", "हिन्दी", "Junior", "Jatni", "anything")):
            answer = await client.post("/chat/messages", json={"user": "fast", "text": text, "id": f"m{i}"},
                                       headers=PORTAL)
            assert answer.status_code == 200
            texts.append(answer.json()["replies"][0]["text"])
        assert "एक मिनट" in texts[-1] and "4" in texts[-1], texts[-1]
        other = await client.post("/chat/messages", json={"user": "calm", "text": "hello"}, headers=PORTAL)
        assert "slow" not in other.json()["replies"][0]["text"], "the limit is per user"
        assert other.json()["replies"][0]["text"].startswith("Namaskar")


async def test_a_slowed_message_is_not_swallowed_its_id_is_applied_when_sent_again(settings: Settings) -> None:
    async for client, services in _client(settings, chat_messages_per_minute=1):
        await client.post("/chat/messages", json={"user": "u", "text": "hello", "id": "a"}, headers=PORTAL)
        slowed = await client.post("/chat/messages", json={"user": "u", "text": "English", "id": "b"}, headers=PORTAL)
        assert "very fast" in slowed.json()["replies"][0]["text"]
        services.engine._inbound = type(services.engine._inbound)(0)  # a minute later, as far as the limit goes
        again = await client.post("/chat/messages", json={"user": "u", "text": "English", "id": "b"}, headers=PORTAL)
        assert again.json()["state"] == "awaiting_role"


async def test_a_token_over_its_request_limit_gets_429_with_retry_after(settings: Settings) -> None:
    async for client, services in _client(settings, api_requests_per_minute=3):
        from api.tokens import SqlTokenStore

        async with services.sessions() as session, session.begin():
            token = await SqlTokenStore(session).create("busy", "operator", None, [])
            other = await SqlTokenStore(session).create("calm", "operator", None, [])
        codes = [(await client.get("/api/tickets", headers=auth(token))).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = await client.get("/api/tickets", headers=auth(token))
        assert int(limited.headers["Retry-After"]) >= 1 and limited.json()["error"] == "rate_limited"
        assert (await client.get("/api/tickets", headers=auth(other))).status_code == 200


async def test_a_request_body_over_the_limit_is_refused_with_413(settings: Settings) -> None:
    async for client, _ in _client(settings, max_request_bytes=2000):
        big = await client.post("/chat/messages", json={"user": "u", "text": "x" * 5000}, headers=PORTAL)
        assert big.status_code == 413 and "2000 bytes" in big.json()["message"]

        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"user": "u", "text": "'
            for _ in range(10):
                yield b"y" * 500
            yield b'"}'

        streamed = await client.post("/chat/messages", content=chunks(),
                                     headers=PORTAL | {"Content-Type": "application/json"})
        assert streamed.status_code == 413
        small = await client.post("/chat/messages", json={"user": "u", "text": "hello"}, headers=PORTAL)
        assert small.status_code == 200
