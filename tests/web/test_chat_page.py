"""The web chat page in process: who may embed it, whose conversation a request reaches, what it accepts."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from app.wiring import Services, build_app


def _sid(page: str) -> str:
    found = re.search(r'name="sid" value="([^"]+)"', page)
    assert found
    return found.group(1)


async def test_the_chat_may_be_framed_by_the_configured_sites_and_the_console_by_none(services: Services) -> None:
    services.settings = services.settings.model_copy(
        update={"web_frame_ancestors": "'self' https://portal.example.in"})
    app: FastAPI = build_app(services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://helpdesk") as client:
        chat = await client.get("/web/chat")
        sign_in = await client.get("/console/sign-in")
    assert "frame-ancestors 'self' https://portal.example.in" in chat.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in sign_in.headers["content-security-policy"]


async def test_a_forged_chat_session_reaches_no_conversation(client: httpx.AsyncClient) -> None:
    sid = _sid((await client.get("/web/chat")).text)
    forged = sid[:-2] + ("AA" if not sid.endswith("AA") else "BB")
    assert (await client.post("/web/chat/send", data={"sid": forged, "text": "hello"})).status_code == 403
    assert (await client.get("/web/chat/poll", params={"sid": forged})).status_code == 403


async def test_a_file_that_is_not_an_image_is_refused_as_a_photo(client: httpx.AsyncClient) -> None:
    sid = _sid((await client.get("/web/chat")).text)
    refused = await client.post("/web/chat/send", data={"sid": sid, "text": "see file"},
                                files={"photo": ("notes.html", b"<script>alert(1)</script>", "text/html")})
    assert refused.status_code == 422 and "expected an image" in refused.text


async def test_each_page_opens_its_own_conversation_greeted_in_the_language_asked(client: httpx.AsyncClient) -> None:
    odia = await client.get("/web/chat", params={"lang": "or"})
    english = await client.get("/web/chat")
    assert _sid(odia.text) != _sid(english.text)
    assert 'lang="or"' in odia.text and "ପଠାନ୍ତୁ" in odia.text  # the page's own words too
    answer = await client.post("/web/chat/send", data={"sid": _sid(english.text), "text": "1"})
    assert "Which ULB" in answer.text
