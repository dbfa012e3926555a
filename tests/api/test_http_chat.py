"""The HTTP chat channel: the JSON of `helpdesk chat --json` over HTTP, one integration per channel key."""

from __future__ import annotations

import httpx

from tests.api.conftest import auth

PORTAL = {"X-Channel-Key": "portal-secret"}
OTHER = {"X-Channel-Key": "other-secret"}


async def _walk_to_ticket(client: httpx.AsyncClient, key: dict[str, str], user: str) -> str:
    answer: dict = {}  # type: ignore[type-arg]
    for text in ("hello", "English", "Junior", "Jatni", "The bill page shows an error when I save"):
        answer = (await client.post("/chat/messages", json={"user": user, "text": text}, headers=key)).json()
    if answer["state"] == "offering_faq":
        await client.post("/chat/messages", json={"user": user, "choice": "none"}, headers=key)
    for text in ("Bills", "Something is not working for me", "Work stopped only for me", "No", "Yes, file it"):
        answer = (await client.post("/chat/messages", json={"user": user, "text": text}, headers=key)).json()
    assert answer["ticket"], answer
    return str(answer["ticket"])


async def test_a_channel_key_is_required(client: httpx.AsyncClient) -> None:
    missing = await client.post("/chat/messages", json={"user": "u1", "text": "hi"})
    wrong = await client.post("/chat/messages", json={"user": "u1", "text": "hi"}, headers={"X-Channel-Key": "x"})
    assert missing.status_code == wrong.status_code == 401


async def test_a_bad_message_says_which_field_is_wrong(client: httpx.AsyncClient) -> None:
    response = await client.post("/chat/messages", json={"user": "u1", "text": 5}, headers=PORTAL)
    assert response.status_code == 422
    assert response.json() == {"error": "invalid_input", "message": '"text" must be a string'}


async def test_the_same_user_name_under_two_keys_is_two_conversations(client: httpx.AsyncClient) -> None:
    await client.post("/chat/messages", json={"user": "u1", "text": "hello"}, headers=PORTAL)
    portal = (await client.post("/chat/messages", json={"user": "u1", "text": "English"}, headers=PORTAL)).json()
    other = (await client.post("/chat/messages", json={"user": "u1", "text": "English"}, headers=OTHER)).json()
    assert portal["state"] == "awaiting_role"
    assert other["state"] == "awaiting_language"


async def test_an_operator_reply_reaches_only_that_integrations_user(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    number = await _walk_to_ticket(client, PORTAL, "u1")
    listed = (await client.get("/api/tickets", headers=auth(tokens["operator"]))).json()["items"]
    assert [(t["number"], t["channel"], t["user_id"]) for t in listed] == [(number, "http", "portal:u1")]
    await client.post(f"/api/tickets/{number}/reply", json={"text": "We are looking at it."},
                      headers=auth(tokens["operator"]))
    elsewhere = (await client.get("/chat/messages", params={"user": "u1"}, headers=OTHER)).json()
    assert elsewhere["replies"] == []
    polled = (await client.get("/chat/messages", params={"user": "u1"}, headers=PORTAL)).json()
    assert [r["text"] for r in polled["replies"]] == [
        f"Message from the helpdesk about your ticket {number}:\nWe are looking at it."]
    again = (await client.get("/chat/messages", params={"user": "u1"}, headers=PORTAL)).json()
    assert again["replies"] == []
