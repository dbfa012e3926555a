"""The web chat page in process: who may embed it, whose conversation a request reaches, what it accepts and
keeps (issue 19 finding 5: page loads make no rows, a refused photo is not stored, the upload has its own limit)."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.wiring import Services, build_app, build_services
from core.settings import Settings
from flows.models import ConversationRow
from web.chat import COOKIE
from web.chat_store import WebChatRow

PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # the route checks the declared type and size, not the pixels


def _client(services: Services, **settings: object) -> httpx.AsyncClient:
    services.settings = services.settings.model_copy(update=settings)
    app: FastAPI = build_app(services)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://helpdesk")


async def _rows(services: Services) -> tuple[int, int]:
    async with services.sessions() as s:
        conversations = await s.scalar(select(func.count()).select_from(ConversationRow))
        chats = await s.scalar(select(func.count()).select_from(WebChatRow))
    return int(conversations or 0), int(chats or 0)


def _photos(services: Services) -> list[str]:
    root = services.settings.attachments_dir
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def test_the_chat_may_be_framed_by_the_configured_sites_and_the_console_by_none(services: Services) -> None:
    async with _client(services, web_frame_ancestors="'self' https://portal.example.in") as client:
        chat = await client.get("/web/chat")
        sign_in = await client.get("/console/sign-in")
    assert "frame-ancestors 'self' https://portal.example.in" in chat.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in sign_in.headers["content-security-policy"]


async def test_opening_the_page_makes_no_conversation_until_the_first_message(services: Services) -> None:
    async with _client(services) as client:
        for _ in range(20):
            page = await client.get("/web/chat", params={"lang": "hi"})
            assert "भेजें" in page.text and COOKIE not in page.headers.get("set-cookie", "")
            client.cookies.clear()
        assert await _rows(services) == (0, 0)
        answer = await client.post("/web/chat/send", data={"text": "1", "lang": "hi"})
        assert answer.status_code == 200 and "ULB" in answer.text
    assert await _rows(services) == (1, 1)
    cookie = answer.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower() and "max-age=31536000" in cookie.lower()


async def test_a_forged_chat_cookie_is_a_new_visitor_and_reaches_no_conversation(services: Services) -> None:
    async with _client(services) as client:
        await client.post("/web/chat/send", data={"text": "1"})
        mine = client.cookies[COOKIE]
        client.cookies.set(COOKIE, mine[:-2] + ("AA" if not mine.endswith("AA") else "BB"), path="/web/chat")
        page = await client.get("/web/chat")
        waited = await client.get("/web/chat/wait", params={"after": 0})
    assert "Which ULB" not in page.text and waited.status_code == 204


async def test_a_file_that_is_not_an_image_is_refused_in_the_users_language(services: Services) -> None:
    async with _client(services) as client:
        refused = await client.post("/web/chat/send", data={"text": "see file", "lang": "or"},
                                    files={"photo": ("notes.html", b"<script>alert(1)</script>", "text/html")})
    assert refused.status_code == 422
    assert refused.json() == {"error": "not_image", "message": "କେବଳ ଫଟୋ ଓ ସ୍କ୍ରିନସଟ୍ ଯୋଡ଼ାଯାଇପାରିବ।"}
    assert _photos(services) == []


async def test_a_photo_over_the_json_cap_is_taken_and_one_over_the_photo_limit_refused(services: Services) -> None:
    async with _client(services, max_request_bytes=100_000, web_chat_photo_max_bytes=300_000) as client:
        await client.post("/web/chat/send", data={"text": "1"})
        taken = await client.post("/web/chat/send", data={"text": "bill page fails"},
                                  files={"photo": ("screen.png", PHOTO + b"\x00" * 200_000, "image/png")})
        refused = await client.post("/web/chat/send", data={"text": "bill page fails"},
                                    files={"photo": ("big.png", PHOTO + b"\x00" * 400_000, "image/png")})
        elsewhere = await client.post("/api/tickets/HD-1/notes", content=b"x" * 200_000)
    assert taken.status_code == 200 and 'class="thumb"' in taken.text
    assert refused.status_code == 413 and refused.json()["error"] == "too_large"
    assert elsewhere.status_code == 413  # the API keeps the JSON cap
    assert len(_photos(services)) == 1


@pytest.mark.parametrize(("lang", "words"), [("en", "wait a minute"), ("or", "ମିନିଟ୍"), ("hi", "मिनट")])
async def test_a_refused_message_keeps_no_photo_and_says_why_in_the_users_language(
    settings: Settings, lang: str, words: str
) -> None:
    services = build_services(settings.model_copy(update={"chat_messages_per_minute": 2}))
    try:
        async with _client(services) as client:
            await client.post("/web/chat/send", data={"text": "1", "lang": lang})  # the greeting and this: 2
            refused = await client.post("/web/chat/send", data={"text": "bill page fails"},
                                        files={"photo": ("screen.png", PHOTO, "image/png")})
    finally:
        await services.db.dispose()
    assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
    assert words in refused.json()["message"]
    assert _photos(services) == []


async def test_new_conversations_and_photos_from_one_address_are_limited(services: Services) -> None:
    async with _client(services, web_chat_new_per_minute=3, web_chat_photos_per_minute=1) as client:
        started = []
        for _ in range(4):
            kept = dict(client.cookies)
            client.cookies.clear()
            started.append((await client.post("/web/chat/send", data={"text": "1", "lang": "hi"})).status_code)
        client.cookies.set(COOKIE, kept[COOKIE], path="/web/chat")  # the third conversation goes on
        first = await client.post("/web/chat/send", data={"text": "a"}, files={"photo": ("a.png", PHOTO, "image/png")})
        second = await client.post("/web/chat/send", data={"text": "b"},
                                   files={"photo": ("b.png", PHOTO + b"1", "image/png")})
    assert started == [200, 200, 200, 429]
    assert first.status_code == 200 and second.status_code == 429
    assert "एक मिनट" in second.json()["message"] and second.headers["retry-after"]
    assert await _rows(services) == (3, 3)


async def test_a_resume_code_brings_the_conversation_to_another_browser(services: Services) -> None:
    app = build_app(services)
    web = app.state.web

    def browser() -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://helpdesk")

    async with browser() as phone:
        await phone.post("/web/chat/send", data={"text": "1"})
        user_id = str(web.signer.loads(phone.cookies[COOKIE], salt="web-chat"))
    code, made = await web.history.resume_code(user_id)  # made when a ticket is filed (the browser test)
    assert made and re.fullmatch(r"[A-HJ-NP-Z2-9]{8}", code)
    async with browser() as laptop:
        wrong = await laptop.get("/web/chat/continue", params={"code": "AAAA-AAAA"})
        assert wrong.headers["location"] == "/web/chat?code=unknown"
        assert "not known" in (await laptop.get("/web/chat", params={"code": "unknown"})).text
        joined = await laptop.get("/web/chat/continue", params={"code": f"{code[:4].lower()}-{code[4:]}"})
        assert joined.status_code == 303
        page = await laptop.get("/web/chat")
    assert "Which ULB" in page.text
