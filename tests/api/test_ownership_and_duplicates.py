"""Who holds a ticket (assign, reassign with a reason, a confirmed take-over) and duplicates (link, merge: the
merged ticket's user is told where their problem is tracked now, and their later messages go there)."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from app.wiring import Services
from core.messages import UserRef
from tests.api.conftest import FileTicket, auth
from tickets.desk import SqlTicketDesk
from tickets.models import OutboxRow, TicketMessageRow, TicketRow


async def _get(client: httpx.AsyncClient, token: str, number: str) -> dict:  # type: ignore[type-arg]
    response = await client.get(f"/api/tickets/{number}", headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def _act(client: httpx.AsyncClient, token: str, number: str, action: str,
               body: dict | None = None) -> httpx.Response:  # type: ignore[type-arg]
    version = (await _get(client, token, number))["version"]
    return await client.post(f"/api/tickets/{number}/{action}", json=body or {}, headers=auth(token, version))


async def test_claiming_someone_elses_ticket_must_be_confirmed_and_reassigning_needs_a_reason(
    client: httpx.AsyncClient, tokens: dict[str, str], file_ticket: FileTicket
) -> None:
    number = await file_ticket()
    assert (await _act(client, tokens["operator"], number, "claim")).status_code == 200
    taken = await _act(client, tokens["admin"], number, "claim")
    assert taken.status_code == 409 and taken.json()["error"] == "take_over_required"
    assert "assigned to operator-1" in taken.json()["message"]
    assert (await _get(client, tokens["admin"], number))["assignee"] == "operator-1"
    confirmed = await _act(client, tokens["admin"], number, "claim", {"take_over": True, "reason": "on leave"})
    assert confirmed.status_code == 200 and confirmed.json()["assignee"] == "admin-1"

    silent = await _act(client, tokens["admin"], number, "assign", {"operator": "meera"})
    assert silent.status_code == 422 and silent.json()["message"].startswith("reason:")
    moved = await _act(client, tokens["admin"], number, "assign", {"operator": "meera", "reason": "Odia speaker"})
    assert moved.status_code == 200 and moved.json()["assignee"] == "meera"
    events = (await _get(client, tokens["admin"], number))["events"]
    assert [(e["action"], e["after"].get("assignee"), e["reason"]) for e in events[-3:]] == [
        ("claim", "operator-1", None), ("claim", "admin-1", "on leave"), ("assign", "meera", "Odia speaker")]
    again = await _act(client, tokens["operator"], number, "claim", {"take_over": "perhaps"})
    assert again.status_code == 422


async def test_an_unassigned_ticket_is_assigned_without_a_reason(
    client: httpx.AsyncClient, tokens: dict[str, str], file_ticket: FileTicket
) -> None:
    number = await file_ticket()
    assigned = await _act(client, tokens["operator"], number, "assign", {"operator": "arjun"})
    assert assigned.status_code == 200 and assigned.json()["assignee"] == "arjun"
    mine = await _act(client, tokens["operator"], number, "assign", {"operator": "  "})
    assert mine.status_code == 422


async def test_a_merged_tickets_user_is_told_where_it_is_tracked_and_their_messages_follow(
    client: httpx.AsyncClient, tokens: dict[str, str], file_ticket: FileTicket, services: Services
) -> None:
    survivor = await file_ticket("asha", "bill page shows an error on save")
    duplicate = await file_ticket("bina", "bill page error when saving the bill")
    op = tokens["operator"]
    linked = await client.post(f"/api/tickets/{duplicate}/links", json={"other": survivor}, headers=auth(op))
    assert linked.status_code == 200, linked.text
    twice = await client.post(f"/api/tickets/{survivor}/links", json={"other": duplicate}, headers=auth(op))
    assert twice.status_code == 409
    itself = await client.post(f"/api/tickets/{survivor}/links", json={"other": survivor}, headers=auth(op))
    assert itself.status_code == 422
    missing = await client.post(f"/api/tickets/{survivor}/links", json={"other": "HD-999999"}, headers=auth(op))
    assert missing.status_code == 404

    merged = await _act(client, op, duplicate, "merge", {"into": survivor, "reason": "same bill"})
    assert merged.status_code == 200, merged.text
    assert merged.json()["status"] == "closed"
    assert (await _get(client, op, duplicate))["events"][-1]["reason"] == f"merged into {survivor}: same bill"
    assert (await _get(client, op, survivor))["events"][-1]["reason"] == f"{duplicate} merged into this ticket"
    reopened = await _act(client, op, duplicate, "reopen", {"reason": "the user wrote again"})
    assert reopened.status_code == 409 and "reopen that one" in reopened.json()["message"]
    into_merged = await _act(client, op, survivor, "merge", {"into": duplicate})
    assert into_merged.status_code == 409 and "merged into" in into_merged.json()["message"]

    told = await services.engine.pending(UserRef("console", "bina"))
    assert [r.text for r in told] == [
        f"Your ticket {duplicate} is about the same problem as ticket {survivor}, so the helpdesk now follows it "
        f"up in {survivor}. Anything you send about it here goes to {survivor}."]
    assert await services.engine.pending(UserRef("console", "asha")) == []

    async with services.sessions() as s, s.begin():
        went = await SqlTicketDesk(s, services.settings, services.due).add_user_message(duplicate, "bina",
                                                                                         "it fails again today")
    assert went == survivor
    async with services.sessions() as s:
        kept = (await s.execute(select(TicketRow.number, TicketMessageRow.text)
                                .join(TicketRow, TicketRow.id == TicketMessageRow.ticket_id)
                                .where(TicketMessageRow.kind == "user"))).all()
        kinds = list(await s.scalars(select(OutboxRow.kind).where(OutboxRow.user_id == "bina")))
    assert [tuple(k) for k in kept] == [(survivor, "it fails again today")]
    assert kinds.count("ticket_merged") == 1


async def test_an_operators_reply_on_the_survivor_reaches_the_merged_tickets_user_and_its_receipt_stays_the_survivors(
    client: httpx.AsyncClient, tokens: dict[str, str], file_ticket: FileTicket, services: Services
) -> None:
    survivor = await file_ticket("asha", "bill page shows an error on save")
    duplicate = await file_ticket("bina", "bill page error when saving the bill")
    op = tokens["operator"]
    assert (await _act(client, op, duplicate, "merge", {"into": survivor})).status_code == 200
    await services.engine.pending(UserRef("console", "bina"))  # the merge notice
    replied = await _act(client, op, survivor, "reply", {"text": "Which bill number is it?"})
    assert replied.status_code == 200, replied.text

    [own] = await services.engine.pending(UserRef("console", "asha"))
    assert own.text.endswith("Which bill number is it?")
    [reply] = [m for m in (await _get(client, op, survivor))["messages"] if m["kind"] == "reply"]
    assert reply["delivery"] == "delivered", "bina's copy, still queued, is not the survivor's receipt"
    [copy] = await services.engine.pending(UserRef("console", "bina"))
    assert copy.text.startswith(f"About ticket {survivor}, where the helpdesk follows up your ticket {duplicate}:")
    assert copy.text.endswith("Which bill number is it?")
    assert await services.engine.pending(UserRef("console", "asha")) == [], "asha hears it once"
