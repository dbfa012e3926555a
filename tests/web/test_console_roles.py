"""Every console page against every role, in process: the API's permission table decides, a stranger is
sent to sign in, and a form without the session's CSRF token is refused."""

from __future__ import annotations

import html
import re

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from api.accounts import SqlAccounts
from api.permissions import PERMISSIONS
from app.wiring import Services
from tests.api.conftest import FileTicket
from tickets.desk import SqlTicketDesk

PASSWORD = "long enough secret"  # noqa: S105 (test accounts)
PAGES = {  # path ({n}: a ticket escalated to the vendor team) -> the permission it checks
    "/console/queue": "queue",
    "/console/queue/rows": "queue",
    "/console/queue/notices": "notifications",
    "/console/tickets/{n}": "view",
    "/console/kb": "kb_view",
    "/console/kb/try?q=login": "kb_view",
    "/console/kb/gaps": "kb_view",
    "/console/kb/translations": "kb_view",
    "/console/kb/reviews": "kb_view",
    "/console/kb/new": "kb_edit",
    "/console/kb/employee-login/edit": "kb_edit",
    "/console/dashboard": "dashboard",
    "/console/accounts": "accounts_manage",
    "/console/problems": "problems_view",
    "/console/canned": "canned_edit",
    "/console/queue.csv": "export",
    "/console/export/tickets.csv": "export",
    "/console/export/summary.csv": "export",
}


async def _signed_in(client: httpx.AsyncClient, services: Services, role: str) -> str:
    """Sign in as a new account of `role` (tier: the vendor team); returns the session's CSRF token."""
    async with services.sessions() as s, s.begin():
        await SqlAccounts(s).create(f"{role}-1", role, PASSWORD, "vendor", [t.code for t in services.settings.teams])
    form = await client.get("/console/sign-in")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token
    done = await client.post("/console/sign-in", data={"name": f"{role}-1", "password": PASSWORD,
                                                       "csrf": token.group(1), "next": "/console"})
    assert done.status_code == 303, done.text
    page = await client.get("/console/kb")
    found = re.search(r'X-CSRF-Token&#34;: &#34;([^&]+)&#34;', page.text) or re.search(
        r'name="csrf" value="([^"]+)"', page.text)
    return found.group(1) if found else ""


async def _escalated(file_ticket: FileTicket, services: Services) -> str:
    number = await file_ticket()
    async with services.sessions() as s, s.begin():
        await SqlTicketDesk(s, services.settings).escalate(number, "admin", "vendor", "fix", None)
    return number


@pytest.mark.parametrize("role", ["operator", "tier", "kb_maintainer", "admin"])
async def test_each_role_sees_exactly_the_pages_the_permission_table_allows(
    client: httpx.AsyncClient, services: Services, file_ticket: FileTicket, role: str,
) -> None:
    number = await _escalated(file_ticket, services)
    await _signed_in(client, services, role)
    for path, action in PAGES.items():
        response = await client.get(path.format(n=number))
        expected = 200 if role in PERMISSIONS[action] else 403
        assert response.status_code == expected, (role, path, response.text[:300])
        if expected == 403:
            assert f"Your role ({role}) may not" in response.text


async def test_a_stranger_is_sent_to_sign_in_and_a_wrong_password_is_refused(
    client: httpx.AsyncClient, services: Services,
) -> None:
    for path in PAGES:
        response = await client.get(path.format(n="HD-000001"))
        assert response.status_code == 303 and response.headers["location"].startswith("/console/sign-in?next=")
    form = await client.get("/console/sign-in?next=//evil.example/steal")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token and 'value="/console"' in form.text  # an off-site `next` is dropped
    wrong = await client.post("/console/sign-in", data={"name": "nobody", "password": "guess", "csrf": token.group(1)})
    assert wrong.status_code == 401 and "hd_console" not in wrong.headers.get("set-cookie", "")


async def test_a_form_without_the_session_csrf_token_changes_nothing(
    client: httpx.AsyncClient, services: Services, file_ticket: FileTicket,
) -> None:
    number = await _escalated(file_ticket, services)
    csrf = await _signed_in(client, services, "operator")
    forged = await client.post(f"/console/tickets/{number}/note", data={"text": "forged"})
    assert forged.status_code == 403
    wrong = await client.post(f"/console/tickets/{number}/note", data={"text": "forged", "csrf": "not-it"})
    assert wrong.status_code == 403
    real = await client.post(f"/console/tickets/{number}/note", data={"text": "checked the logs", "csrf": csrf})
    assert real.status_code == 303
    page = await client.get(f"/console/tickets/{number}")
    assert "checked the logs" in page.text and "forged" not in page.text


def test_every_console_route_is_in_the_table(app: FastAPI) -> None:
    """A new console page must be listed in PAGES (and so checked for every role) before it ships."""
    listed = {re.sub(r"\?.*", "", p).replace("{n}", "{number}").replace("employee-login", "{entry_id}")
              for p in PAGES}
    served = {r.path for r in app.routes if isinstance(r, APIRoute) and "GET" in (r.methods or ())
              and r.path.startswith("/console/") and r.path != "/console/sign-in"}
    assert served - listed == set()


async def test_a_kb_edit_from_an_older_version_of_the_entry_is_refused(
    client: httpx.AsyncClient, services: Services,
) -> None:
    csrf = await _signed_in(client, services, "kb_maintainer")
    form = (await client.get("/console/kb/employee-login/edit")).text
    values = dict(re.findall(r'<input type="(?:hidden|text)" (?:id="f-\w+" )?name="(\w+)" value="([^"]*)"', form))
    values |= {name: html.unescape(text) for name, text in re.findall(
        r'<textarea id="f-\w+" name="(\w+)">([^<]*)</textarea>', form)}
    values |= {"csrf": csrf, "module": "login", "audience": "employee",
               "alternates": "login web app\nemployee login\nsign in as engineer", "answer": "First answer."}
    first = await client.post("/console/kb/employee-login/edit", data=values)
    assert first.status_code == 303, first.text[:500]
    second = await client.post("/console/kb/employee-login/edit", data=values | {"answer": "Second answer."})
    assert second.status_code == 409
    assert "someone else saved entry &#39;employee-login&#39; after you opened it" in second.text
    entry = services.matcher.knowledge_base.get("employee-login")
    assert entry is not None and entry.answer == "First answer."


@pytest.mark.parametrize("role", ["tier", "operator"])
async def test_a_tier_team_sees_only_its_own_linked_tickets(
    client: httpx.AsyncClient, services: Services, file_ticket: FileTicket, role: str
) -> None:
    escalated = await _escalated(file_ticket, services)
    elsewhere = await file_ticket(description="estimate page shows an error on save")
    async with services.sessions() as s, s.begin():
        await SqlTicketDesk(s, services.settings).link(escalated, elsewhere, "admin")
    await _signed_in(client, services, role)
    page = await client.get(f"/console/tickets/{escalated}")
    assert page.status_code == 200
    assert ("estimate page shows an error" in page.text) is (role == "operator")  # the other ticket's problem
    assert (f'href="/console/tickets/{elsewhere}"' in page.text) is (role == "operator")
