"""The world the route walk runs in: a token and a signed-in console session per role, and for every object a
path can name, one the vendor team owns (its tickets escalated to it) and one it does not."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select

from api.accounts import SqlAccounts
from app.wiring import Services
from tests.api.conftest import ROLE_TOKENS
from tests.problems.people import file_directly
from tickets.attachments import AttachmentStore
from tickets.desk import SqlTicketDesk
from tickets.models import NotificationRow, TicketRow
from tickets.notifications import SqlNotifications
from tickets.problem_models import ProblemProposalRow
from tickets.problems import SqlProblems
from tickets.webhooks import SqlWebhooks

ROLES = ("kb_maintainer", "tier", "operator", "admin")  # admin last: its changes come after the others' checks
TEAM = "vendor"  # the tier token's team (tests.api.conftest.ROLE_TOKENS)
PASSWORD = "walk the routes, every one"  # noqa: S105 (test accounts)
PHONE, AADHAAR = "9876543210", "2345 6789 0123"
MARKER = "zebracrossing"  # a word only in what the vendor team must not see


@dataclass
class Owned:
    """One of each object: "own" is the vendor team's, "other" is not."""

    ticket: str
    problem: int
    proposal: int
    attachment: str


@dataclass
class World:
    tokens: dict[str, str]
    objects: dict[str, Owned]
    webhook: int
    entry: str
    sessions: dict[str, tuple[dict[str, str], str]] = field(default_factory=dict)  # role: (cookies, csrf)
    notifications: dict[tuple[str, str], int] = field(default_factory=dict)  # (role, owner): id

    def params(self, role: str, owner: str) -> dict[str, str]:
        """A value for every path parameter a rule's route may have, as `owner` sees it from `role`."""
        mine = self.objects[owner]
        return {"number": mine.ticket, "problem_id": str(mine.problem), "proposal_id": str(mine.proposal),
                "ref": mine.attachment, "notification_id": str(self.notifications[(role, owner)]),
                "name": f"{role}-1" if owner == "own" else "op-2", "webhook_id": str(self.webhook),
                "entry_id": self.entry, "address": "203.0.113.9", "filter_id": "1", "canned_id": "1"}


async def _ticket_with_photo(services: Services, user: str, text: str, photo: bytes) -> tuple[str, str]:
    (number,) = await file_directly(services, [(user, text)])
    stored = AttachmentStore(services.settings.attachments_dir).save(photo, mime="image/png")
    async with services.sessions() as session, session.begin():
        row = (await session.scalars(select(TicketRow).where(TicketRow.number == number))).one()
        row.attachments = [stored.as_attachment("image", "screen.png")]
    return number, stored.ref


async def build_world(services: Services, tokens: dict[str, str]) -> World:
    settings = services.settings
    own, own_ref = await _ticket_with_photo(services, "walk-own", f"bill fails, call me on {PHONE}", b"own")
    other, other_ref = await _ticket_with_photo(
        services, "walk-other", f"{MARKER} estimate fails, Aadhaar {AADHAAR}, phone {PHONE}", b"other")
    objects = {}
    async with services.sessions() as session, session.begin():
        desk = SqlTicketDesk(session, settings, services.due)
        await desk.escalate(own, "admin-1", TEAM, "the vendor's", None)
        problems = SqlProblems(session, settings, services.due)
        for owner, number, ref in (("own", own, own_ref), ("other", other, other_ref)):
            word = MARKER if owner == "other" else "payments"
            problem = await problems.create("admin-1", [number], f"{word} problem, caller {PHONE}",
                                            f"reported from {PHONE}")
            ticket_id = (await desk.row(number)).id
            proposal = ProblemProposalRow(group_key=f"walk-{owner}", module="payments", keywords=[word],
                                          ticket_ids=[ticket_id])
            session.add(proposal)
            await session.flush()
            objects[owner] = Owned(number, problem.id, proposal.id, ref)
        notes = SqlNotifications(session)
        for recipient in (*(f"{role}-1" for role in ROLES), "someone-else"):
            await notes.notify(recipient, "sla_at_risk", f"{own} is at risk")
        accounts = SqlAccounts(session)
        for role, team in ROLE_TOKENS.items():
            await accounts.create(f"{role}-1", role, PASSWORD, team, [t.code for t in settings.teams])
        webhook, _ = await SqlWebhooks(session).create("https://erp.example.org/hook", ["ticket.created"])
    world = World(tokens, objects, webhook.id, services.matcher.knowledge_base.entries[0].id)
    async with services.sessions() as session:
        ids = {name: i for name, i in await session.execute(select(NotificationRow.recipient, NotificationRow.id))}
    for role in ROLES:
        world.notifications[(role, "own")] = ids[f"{role}-1"]
        world.notifications[(role, "other")] = ids["someone-else"]
    return world


async def sign_in(client: httpx.AsyncClient, role: str) -> tuple[dict[str, str], str]:
    """Sign in through the console's own form; the session cookie and the CSRF token its pages carry."""
    form = await client.get("/console/sign-in")
    login = form.cookies["hd_login"]
    client.cookies.clear()  # each request below names its own
    done = await client.post("/console/sign-in", data={"name": f"{role}-1", "password": PASSWORD, "csrf": login},
                             headers={"Cookie": f"hd_login={login}"})
    assert done.status_code == 303, done.text
    cookies = dict(done.cookies)
    client.cookies.clear()
    page = await client.get("/console/kb", headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())})
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text)
    assert found, page.text[:500]
    return cookies, found.group(1)


def leaked(body: str, role: str) -> list[str]:
    """What this role should never read in a response: another team's tickets, personal numbers unmasked."""
    found = []
    if role == "tier" and MARKER in body:
        found.append(f"another team's ticket ({MARKER})")
    if role in ("tier", "kb_maintainer") and (PHONE in body or AADHAAR in body or AADHAAR.replace(" ", "") in body):
        found.append("an unmasked phone or Aadhaar number")
    return found


def request_args(world: World, via: str, role: str, method: str) -> dict[str, Any]:
    """Credentials for the role, and a body that changes nothing if it gets through (so that the walk does
    not use up the objects): an empty JSON object, or a form with a stale version."""
    if via == "token":
        headers = {"Authorization": f"Bearer {world.tokens[role]}"}
        return {"headers": headers} | ({} if method == "GET" else {"json": {}})
    cookies, csrf = world.sessions[role]
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    args: dict[str, Any] = {"headers": {"X-CSRF-Token": csrf, "Cookie": cookie}}
    return args | ({} if method == "GET" else {"data": {"version": "0"}})
