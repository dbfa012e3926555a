"""Escalating a bug or enhancement to the vendor team hands it to JIRA: one issue, whatever JIRA does."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from app.wiring import Services
from jira_link.sender import JiraSender
from tests.clock import START
from tests.jira.conftest import FileBug
from tests.jira.fake_jira import FakeJira
from tickets.delivery import deliver_due
from tickets.models import OutboxRow

PNG = b"\x89PNG\r\n\x1a\n" + b"screenshot of the bill error" * 10


async def _escalate(client: httpx.AsyncClient, operator: dict[str, str], number: str, team: str = "vendor") -> None:
    ticket = (await client.get(f"/api/tickets/{number}", headers=operator)).json()
    response = await client.post(f"/api/tickets/{number}/escalate", json={"team": team, "reason": "app bug"},
                                 headers={**operator, "If-Match": f'"{ticket["version"]}"'})
    assert response.status_code == 200, response.text


async def _deliver(services: Services, sender: JiraSender, passes: int = 1) -> None:
    """Run the delivery worker's passes, each far enough in the future for any backoff to be over."""
    for n in range(passes):
        await deliver_due(services.sessions, {"jira": sender}, now=START + timedelta(hours=n))


async def test_escalating_a_bug_creates_one_jira_issue_with_the_ticket_s_details(
    services: Services, client: httpx.AsyncClient, operator: dict[str, str], fake: FakeJira, sender: JiraSender,
    file_bug: FileBug,
) -> None:
    chat = await file_bug(description="the bill page shows an error when I save", screenshot=PNG)
    number = chat.ticket
    assert number
    await _escalate(client, operator, number)
    await _deliver(services, sender, passes=3)
    [issue] = fake.issues()
    fields = issue["fields"]
    assert fields["project"]["key"] == "MUKTA" and fields["issuetype"]["name"] == "Bug"
    assert fields["labels"] == [number]
    assert number in fields["summary"] and "bill page shows an error" in fields["summary"]
    for expected in ("the bill page shows an error when I save", "*Module:* bills", "Jatni (od.jatni)",
                     f"*Helpdesk ticket:* {number}"):
        assert expected in fields["description"]
    ticket = (await client.get(f"/api/tickets/{number}", headers=operator)).json()
    assert fields["priority"]["name"] == {"P1": "Highest", "P2": "High", "P3": "Medium", "P4": "Low"}[
        ticket["priority"]]
    [comment] = fields["comment"]["comments"]
    assert comment["body"].startswith(f"Helpdesk conversation transcript for {number}")
    assert "the bill page shows an error when I save" in comment["body"]
    assert [a["filename"] for a in fields["attachment"]] == ["bill-error.png"]
    assert issue["attachment_bytes"]["bill-error.png"] == PNG
    assert ticket["jira_key"] == issue["key"]
    assert any(e["action"] == "jira_link" and issue["key"] in (e["reason"] or "") for e in ticket["events"])
    async with services.sessions() as session:
        attempts = await session.scalar(select(OutboxRow.attempts).where(OutboxRow.channel == "jira"))
    assert attempts == 1  # created at the first try, and counted once


async def test_jira_failing_twice_first_still_gives_exactly_one_issue(
    services: Services, client: httpx.AsyncClient, operator: dict[str, str], fake: FakeJira, sender: JiraSender,
    file_bug: FileBug,
) -> None:
    chat = await file_bug()
    assert chat.ticket
    await _escalate(client, operator, chat.ticket)
    fake.fail("POST", "issue", status=500, times=2)
    await _deliver(services, sender, passes=1)
    await _deliver(services, sender, passes=1)
    assert fake.issues() == []
    ticket = (await client.get(f"/api/tickets/{chat.ticket}", headers=operator)).json()
    assert ticket["jira_key"] is None
    await _deliver(services, sender, passes=3)
    [issue] = fake.issues()
    assert [c["body"].split("\n")[0] for c in issue["fields"]["comment"]["comments"]] == [
        f"Helpdesk conversation transcript for {chat.ticket}:"]
    ticket = (await client.get(f"/api/tickets/{chat.ticket}", headers=operator)).json()
    assert ticket["jira_key"] == issue["key"]


async def test_a_create_whose_answer_was_lost_is_found_by_its_label_not_repeated(
    services: Services, client: httpx.AsyncClient, operator: dict[str, str], fake: FakeJira, sender: JiraSender,
    file_bug: FileBug,
) -> None:
    chat = await file_bug(screenshot=PNG)
    assert chat.ticket
    await _escalate(client, operator, chat.ticket)
    fake.fail("POST", "issue", status=502, after=True)  # JIRA creates the issue, the answer never arrives
    fake.fail("POST", r"issue/[^/]+/attachments", status=503, after=True)  # the upload too
    await _deliver(services, sender, passes=4)
    [issue] = fake.issues()
    assert len(issue["fields"]["comment"]["comments"]) == 1
    assert [a["filename"] for a in issue["fields"]["attachment"]] == ["bill-error.png"]
    ticket = (await client.get(f"/api/tickets/{chat.ticket}", headers=operator)).json()
    assert ticket["jira_key"] == issue["key"]


async def test_escalating_again_or_a_non_vendor_category_creates_no_other_issue(
    services: Services, client: httpx.AsyncClient, operator: dict[str, str], fake: FakeJira, sender: JiraSender,
    file_bug: FileBug,
) -> None:
    bug = await file_bug("ravi")
    request = await file_bug("mina", "please add a column for the ward number", category="request a change")
    broken = await file_bug("sita", "the app is slow on my phone", category="not working")
    assert bug.ticket and request.ticket and broken.ticket
    await _escalate(client, operator, bug.ticket)
    await _escalate(client, operator, bug.ticket)  # twice before JIRA was reached
    await _escalate(client, operator, request.ticket)
    await _escalate(client, operator, broken.ticket)  # technical: the vendor handles it, but not in JIRA
    await _deliver(services, sender, passes=2)
    await _escalate(client, operator, bug.ticket, team="programme_admin")
    await _escalate(client, operator, bug.ticket)  # back to the vendor after it has its issue
    await _deliver(services, sender, passes=2)
    issues = sorted(fake.issues(), key=lambda i: i["fields"]["labels"])
    assert [(i["fields"]["labels"], i["fields"]["issuetype"]["name"]) for i in issues] == sorted(
        [([bug.ticket], "Bug"), ([request.ticket], "Improvement")])
