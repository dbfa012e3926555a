"""The operator API as operators use it: the queue, a ticket, and what reaches the user."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from app.wiring import Services
from tests.api.conftest import FileTicket, auth
from tests.clock import FixedClock
from tests.fakes import ScriptedChat
from tests.security.identity_helpers import use_clock


async def _get(client: httpx.AsyncClient, token: str, number: str) -> dict:  # type: ignore[type-arg]
    response = await client.get(f"/api/tickets/{number}", headers=auth(token))
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == f'"{response.json()["version"]}"'
    return response.json()  # type: ignore[no-any-return]


async def _act(client: httpx.AsyncClient, token: str, number: str, action: str, body: dict | None = None,  # type: ignore[type-arg]
               ) -> httpx.Response:
    version = (await _get(client, token, number))["version"]
    return await client.post(f"/api/tickets/{number}/{action}", json=body or {}, headers=auth(token, version))


async def test_the_queue_puts_the_soonest_due_first_and_pages_with_a_cursor(
    client: httpx.AsyncClient, tokens: dict[str, str], file_ticket: FileTicket
) -> None:
    first = await file_ticket()  # P2: 9 business hours
    second = await file_ticket()
    urgent = await file_ticket()
    assert (await _act(client, tokens["operator"], urgent, "priority", {"priority": "P1", "reason": "all halted"})
            ).status_code == 200
    seen, cursor = [], None
    while True:
        params = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/api/tickets", params=params, headers=auth(tokens["operator"]))).json()
        seen += [(t["number"], t["response_due_at"]) for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [n for n, _ in seen] == [urgent, first, second]
    assert all(due for _, due in seen)
    p1 = (await client.get("/api/tickets", params={"priority": "P1"}, headers=auth(tokens["operator"]))).json()
    assert [t["number"] for t in p1["items"]] == [urgent]


async def test_a_bad_filter_or_cursor_names_the_parameter(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    bad_status = await client.get("/api/tickets", params={"status": "lost"}, headers=auth(tokens["operator"]))
    assert bad_status.status_code == 422 and bad_status.json()["message"].startswith("status:")
    bad_cursor = await client.get("/api/tickets", params={"cursor": "zzz"}, headers=auth(tokens["operator"]))
    assert bad_cursor.status_code == 422 and bad_cursor.json()["message"].startswith("cursor:")
    bad_limit = await client.get("/api/tickets", params={"limit": 0}, headers=auth(tokens["operator"]))
    assert bad_limit.status_code == 422 and "query.limit" in bad_limit.json()["message"]


async def test_the_ticket_page_has_the_transcript_rejected_answers_and_audit(
    client: httpx.AsyncClient, tokens: dict[str, str], services: Services
) -> None:
    chat = ScriptedChat(services.engine, "sunita")
    await chat.walk_to_confirm("I forgot my password and the OTP never arrives")
    await chat.pick("file it")
    assert chat.ticket
    op = tokens["operator"]
    assert (await _act(client, op, chat.ticket, "claim")).status_code == 200
    assert (await _act(client, op, chat.ticket, "category", {"category": "bug", "reason": "OTP service"})
            ).status_code == 200
    ticket = await _get(client, op, chat.ticket)
    assert "I forgot my password and the OTP never arrives" in [line["text"] for line in ticket["transcript"]]
    assert ticket["faq_rejected"] and ticket["faq_rejected"] == [f["id"] for f in ticket["faq_offered"]]
    assert [(e["action"], e["actor"]) for e in ticket["events"]] == [("claim", "operator-1"),
                                                                     ("set_category", "operator-1")]
    assert ticket["events"][1]["before"] == {"category": "technical", "team": "state_technical"}
    assert ticket["events"][1]["after"] == {"category": "bug", "team": "vendor"}
    assert ticket["events"][1]["reason"] == "OTP service"
    assert ticket["assignee"] == "operator-1" and ticket["status"] == "open"


async def test_two_operators_cannot_silently_overwrite_each_other(
    client: httpx.AsyncClient, tokens: dict[str, str], file_ticket: FileTicket
) -> None:
    number = await file_ticket()
    seen = (await _get(client, tokens["operator"], number))["version"]
    first = await client.post(f"/api/tickets/{number}/claim", headers=auth(tokens["operator"], seen))
    second = await client.post(f"/api/tickets/{number}/claim", headers=auth(tokens["admin"], seen))
    assert first.status_code == 200
    assert second.status_code == 412 and second.json()["error"] == "stale_version"
    missing = await client.post(f"/api/tickets/{number}/claim", headers=auth(tokens["admin"]))
    assert missing.status_code == 428
    garbage = await client.post(f"/api/tickets/{number}/claim",
                                headers=auth(tokens["admin"]) | {"If-Match": "yesterday"})
    assert garbage.status_code == 400 and "If-Match" in garbage.json()["message"]
    assert (await _get(client, tokens["operator"], number))["assignee"] == "operator-1"


async def test_an_operator_reply_reaches_the_user_and_a_note_never_does(
    client: httpx.AsyncClient, tokens: dict[str, str], services: Services
) -> None:
    chat = ScriptedChat(services.engine, "ravi")
    other = ScriptedChat(services.engine, "someone-else")
    await chat.walk_to_confirm()
    await chat.pick("file it")
    await other.set_up_profile()
    number = chat.ticket
    assert number
    note = await client.post(f"/api/tickets/{number}/notes", json={"text": "INTERNAL: blame the server"},
                             headers=auth(tokens["operator"]))
    reply = await client.post(f"/api/tickets/{number}/reply", json={"text": "Please clear the cache and retry."},
                              headers=auth(tokens["operator"]))
    assert note.status_code == reply.status_code == 200
    await other.send("status")
    assert "clear the cache" not in other.text
    await chat.send("status")
    expected = f"Message from the helpdesk about your ticket {number}:\nPlease clear the cache and retry."
    assert chat.last[0].text == expected
    assert "INTERNAL" not in chat.text
    await chat.send("status")
    assert "clear the cache" not in chat.text, "delivered once"
    ticket = await _get(client, tokens["operator"], number)
    assert [m["kind"] for m in ticket["messages"]] == ["note", "reply"]
    assert ticket["first_response_at"] is not None


async def test_waiting_on_the_user_pauses_the_clock_until_they_answer(
    client: httpx.AsyncClient, tokens: dict[str, str], services: Services
) -> None:
    chat = ScriptedChat(services.engine, "mina")
    await chat.walk_to_confirm()
    await chat.pick("file it")
    number = chat.ticket
    assert number
    op = tokens["operator"]
    await _act(client, op, number, "claim")
    await client.post(f"/api/tickets/{number}/reply", json={"text": "Which browser do you use?"}, headers=auth(op))
    waiting = await _act(client, op, number, "wait")
    assert waiting.json()["status"] == "waiting_on_user"
    await chat.send("Chrome on Windows 10")
    assert "Which browser do you use?" in chat.text
    assert f"I added your message to ticket {number}" in chat.text
    ticket = await _get(client, op, number)
    assert ticket["status"] == "open"
    assert ticket["messages"][-1] == {**ticket["messages"][-1], "kind": "user", "text": "Chrome on Windows 10"}
    assert [e["action"] for e in ticket["events"]] == ["claim", "reply", "wait", "resume"]


async def test_a_message_while_a_ticket_is_open_asks_whether_it_belongs_to_it(
    client: httpx.AsyncClient, tokens: dict[str, str], services: Services
) -> None:
    chat = ScriptedChat(services.engine, "lata")
    await chat.walk_to_confirm()
    await chat.pick("file it")
    number = chat.ticket
    await chat.send("also the print button does nothing")
    assert f"You have a ticket open with the helpdesk ({number})" in chat.text
    assert chat.labels == [f"Yes, add it to {number}", "No, it is a new problem"]
    await chat.pick("add it to")
    assert f"I added your message to ticket {number}" in chat.text
    ticket = await _get(client, tokens["operator"], str(number))
    assert ticket["messages"][-1]["text"] == "also the print button does nothing"


async def test_reopening_is_allowed_only_within_the_window(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str], file_ticket: FileTicket
) -> None:
    clock = FixedClock()
    use_clock(app, clock)
    op = tokens["operator"]
    number = await file_ticket()
    await _act(client, op, number, "resolve", {"text": "Fixed in the new release."})
    reopened = await _act(client, op, number, "reopen", {"reason": "user says it still fails"})
    assert reopened.status_code == 200 and reopened.json()["status"] == "reopened"
    await _act(client, op, number, "resolve")
    clock.advance(days=8)
    late = await _act(client, op, number, "reopen", {"reason": "again"})
    assert late.status_code == 409 and "more than 7 days ago" in late.json()["message"]


async def test_an_action_the_status_does_not_allow_is_409_with_the_reason(
    client: httpx.AsyncClient, tokens: dict[str, str], file_ticket: FileTicket
) -> None:
    number = await file_ticket()
    response = await _act(client, tokens["operator"], number, "close")
    assert response.status_code == 409
    assert response.json()["message"] == "cannot close a ticket that is new (allowed from: resolved)"


async def test_invalid_bodies_name_the_field(
    client: httpx.AsyncClient, tokens: dict[str, str], file_ticket: FileTicket
) -> None:
    number = await file_ticket()
    bad = await _act(client, tokens["operator"], number, "priority", {"priority": "P9", "reason": "x"})
    assert bad.status_code == 422 and bad.json()["message"].startswith("body.priority:")
    team = await _act(client, tokens["operator"], number, "escalate", {"team": "nasa"})
    assert team.status_code == 422 and team.json()["message"].startswith("team: must be one of")


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready"}


async def test_the_knowledge_base_reloads_on_request(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    response = await client.post("/api/kb/reload", headers=auth(tokens["kb_maintainer"]))
    assert response.status_code == 200 and response.json()["entries"] >= 40
