"""Inputs at the edges the protocol allows, or just past them: each is a clear 4xx in the documented JSON
shape (or, for a long but valid value, simply works), never a 500, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from fastapi import FastAPI

from app.wiring import Services
from bot.telegram_webhook import _update_of
from tests.api.conftest import FileTicket, auth
from tests.problems.people import file_directly
from tickets.desk import SqlTicketDesk

PORTAL = {"X-Channel-Key": "portal-secret", "Content-Type": "application/json"}


def _refused(response: httpx.Response, status: int = 422) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message"}, body
    return str(body["message"])


@pytest.mark.parametrize("path", ["/api/problems/{id}", "/api/problems/proposals/{id}/dismiss",
                                  "/api/webhooks/{id}", "/api/notifications/{id}/read"])
async def test_ids_past_64_bits_are_422_and_the_largest_64_bit_id_is_404(
    client: httpx.AsyncClient, tokens: dict[str, str], path: str
) -> None:
    method = "GET" if path == "/api/problems/{id}" else ("DELETE" if "webhooks" in path else "POST")
    too_big = await client.request(method, path.format(id=2**63), headers=auth(tokens["admin"]))
    _refused(too_big)
    largest = await client.request(method, path.format(id=2**63 - 1), headers=auth(tokens["admin"]))
    _refused(largest, 404)


@pytest.mark.parametrize("due", ["2026-12-01T09:00:00", "0001-01-01T00:00:00+05:30", "9999-12-31T23:59:59+00:00"])
async def test_a_cursor_with_a_naive_or_out_of_range_time_is_422(
    client: httpx.AsyncClient, tokens: dict[str, str], due: str
) -> None:
    cursor = base64.urlsafe_b64encode(json.dumps([due, "HD-000001"]).encode()).decode()
    _refused(await client.get("/api/tickets", params={"cursor": cursor}, headers=auth(tokens["operator"])))


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
async def test_dashboard_days_a_calendar_cannot_handle_are_422(
    client: httpx.AsyncClient, tokens: dict[str, str], day: str
) -> None:
    message = _refused(await client.get("/api/dashboard", params={"from": day, "to": day},
                                        headers=auth(tokens["operator"])))
    assert "year" in message


@pytest.mark.parametrize("field", ["text", "user", "id"])
@pytest.mark.parametrize("bad", ["\\u0000", "\\ud800"])
async def test_nul_and_lone_surrogates_in_a_chat_message_are_422(
    client: httpx.AsyncClient, field: str, bad: str
) -> None:
    message = {"user": "u1", "text": "hello", "id": "m-1"}
    raw = json.dumps(message).replace(f'"{message[field]}"', f'"a{bad}b"')
    reason = _refused(await client.post("/chat/messages", content=raw.encode(), headers=PORTAL))
    assert field in reason and ("NUL" in reason or "surrogate" in reason)


async def test_a_nul_in_a_reply_to_a_user_is_422_and_the_ticket_is_unchanged(
    client: httpx.AsyncClient, tokens: dict[str, str], file_ticket: FileTicket
) -> None:
    number = await file_ticket()
    _refused(await client.post(f"/api/tickets/{number}/reply", json={"text": "fixed\x00"},
                               headers=auth(tokens["operator"])))
    detail = (await client.get(f"/api/tickets/{number}", headers=auth(tokens["operator"]))).json()
    assert [m for m in detail["messages"] if m["kind"] == "reply"] == []


async def test_deeply_nested_json_is_a_4xx_on_the_jira_webhook_and_dropped_by_the_telegram_one(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    nested = b"[" * 50_000 + b"]" * 50_000
    response = await client.post("/api/jira/webhook?secret=anything", content=nested,
                                 headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    assert _update_of(b'{"update_id": 1, "message": ' + nested + b"}") is None
    assert _update_of(b'{"update_id": 1, "message": {"text": "a\\u0000"}}') is None


async def test_a_follow_up_from_a_100_character_http_chat_user_is_stored(services: Services) -> None:
    user = "portal:" + "u" * 100  # the longest user id the HTTP chat accepts, under its integration's name
    (number,) = await file_directly(services, [(user, "bill page fails")], channel="http")
    async with services.sessions() as session, session.begin():
        await SqlTicketDesk(session, services.settings, services.due).add_user_message(number, user, "still fails")
    async with services.sessions() as session:
        messages = await SqlTicketDesk(session, services.settings, services.due).messages(
            (await SqlTicketDesk(session, services.settings).row(number)).id)
    assert [m.author for m in messages] == [f"user:{user}"]


async def test_an_unexpected_error_is_a_500_in_the_documented_shape(app: FastAPI) -> None:
    @app.get("/healthz/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    from api.rules import RULES, public

    RULES[("GET", "/healthz/boom")] = public("a test-only route that fails")
    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://helpdesk") as plain:
            response = await plain.get("/healthz/boom")
    finally:
        del RULES[("GET", "/healthz/boom")]
    assert response.status_code == 500
    assert response.json()["error"] == "internal_error"
