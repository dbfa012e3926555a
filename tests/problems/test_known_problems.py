"""Many users, one cause: the spotting job proposes it, an operator accepts, the next user joins with one
tap, and fixing it tells everyone once and resolves their tickets together."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from app.wiring import Services
from core.messages import UserRef
from tests.problems.people import User, bearer, file_all, run_spotting
from tickets.models import TicketEventRow, TicketRow

JIT = [
    "payment status not updating from JIT",
    "JIT payment status is not getting updated",
    "Payment status stuck, JIT is not updating it",
    "payment status still not updated from JIT since morning",
    "status of payment not updating from JIT-FS",
    "the JIT payment status has not updated for our bills",
    "payment status not updating after bill sent to JIT",
    "Why is payment status not updating from JIT?",
]
UNRELATED = [
    ("cannot login, the OTP never arrives on my phone", "Login"),
    ("muster roll attendance does not save", "Attendance"),
    ("measurement book page is blank after opening", "Measurement"),
]


async def _tickets(services: Services, numbers: list[str]) -> dict[str, TicketRow]:
    async with services.sessions() as session:
        rows = await session.scalars(select(TicketRow).where(TicketRow.number.in_(numbers)))
        return {r.number or "": r for r in rows}


async def test_eight_similar_reports_become_one_problem_that_tells_all_nine_users_when_fixed(
    services: Services, client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    operator = bearer(tokens["operator"])
    jit = await file_all(services, [(f"jit{n}", text, "Payments") for n, text in enumerate(JIT)])
    other = await file_all(services, [(f"other{n}", text, module) for n, (text, module) in enumerate(UNRELATED)])

    spotted = await run_spotting(services)
    assert len(spotted.proposed) == 1
    again = await run_spotting(services)
    assert again.proposed == () and again.grown == ()  # the same group is not proposed twice
    (proposal,) = (await client.get("/api/problems/proposals", headers=operator)).json()["items"]
    assert sorted(proposal["tickets"]) == sorted(jit)
    assert proposal["module"] == "payments"

    accepted = await client.post(f"/api/problems/proposals/{proposal['id']}/accept",
                                 json={"title": "Payment status not updating from JIT"}, headers=operator)
    assert accepted.status_code == 201, accepted.text
    problem = accepted.json()
    assert sorted(problem["tickets"]) == sorted(jit) and problem["status"] == "investigating"

    ninth = User(services.engine, "jit8")
    assert await ninth.report("JIT payment status not updating for my bill") is None
    assert "already knows about" in ninth.text and "Payment status not updating from JIT" in ninth.text
    await ninth.pick("add me to the list")  # the one tap
    assert ninth.ticket and await ninth.state() == "filed"
    assert "You are on the list" in ninth.text
    everyone = [*jit, ninth.ticket]
    linked = (await client.get(f"/api/problems/{problem['id']}", headers=operator)).json()
    assert sorted(linked["tickets"]) == sorted(everyone)

    fixed = await client.patch(f"/api/problems/{problem['id']}", json={"status": "fixed", "reason": "JIT patched"},
                               headers=bearer(tokens["operator"], linked["version"]))
    assert fixed.status_code == 200, fixed.text

    for user_id in [f"jit{n}" for n in range(9)]:
        told = await services.engine.pending(UserRef("console", user_id))
        assert len(told) == 1, (user_id, [r.text for r in told])
        assert "has been fixed" in told[0].text and "Payment status not updating from JIT" in told[0].text
        assert await services.engine.pending(UserRef("console", user_id)) == []  # once
    for user_id in [f"other{n}" for n in range(3)]:
        assert await services.engine.pending(UserRef("console", user_id)) == []

    rows = await _tickets(services, everyone + other)
    assert {rows[n].status for n in everyone} == {"resolved"}
    assert {rows[n].status for n in other} == {"new"} and {rows[n].version for n in other} == {1}
    async with services.sessions() as session:
        resolutions = list(await session.scalars(select(TicketEventRow).where(TicketEventRow.action == "resolve")))
    assert len(resolutions) == 9
    assert {e.actor for e in resolutions} == {"operator-1"}
    assert {e.reason for e in resolutions} == {f"known problem #{problem['id']} fixed"}


async def test_a_user_told_of_the_fix_confirms_it_works(
    services: Services, client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    (number,) = await file_all(services, [("asha", JIT[0], "Payments")])
    made = await client.post("/api/problems", json={"title": "JIT down", "tickets": [number]},
                             headers=bearer(tokens["operator"]))
    problem = made.json()
    await client.patch(f"/api/problems/{problem['id']}", json={"status": "fixed"},
                       headers=bearer(tokens["operator"], problem["version"]))
    asha = User(services.engine, "asha")
    await asha.send("yes it works now")
    assert "has been fixed" in asha.text and await asha.state() == "asking_fixed"
    await asha.pick("Yes, it is fixed")
    rows = await _tickets(services, [number])
    assert rows[number].csat_fixed is True
