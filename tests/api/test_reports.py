"""The weekly report (GET /api/reports/tickets): every ticket of the period with its SLA outcome and times,
and the same summed up by ULB, category, priority and tier."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.api.conftest import FileTicket, auth
from tickets.weekly_report import ReportTicket, sla_outcome, summary


async def test_the_report_lists_each_ticket_and_sums_them_up(
    client: httpx.AsyncClient, tokens: dict[str, str], file_ticket: FileTicket
) -> None:
    answered = await file_ticket("asha")
    waiting = await file_ticket("bina")
    op = tokens["operator"]
    assert (await client.post(f"/api/tickets/{answered}/reply", json={"text": "Try again now."},
                              headers=auth(op))).status_code == 200
    version = (await client.get(f"/api/tickets/{answered}", headers=auth(op))).json()["version"]
    assert (await client.post(f"/api/tickets/{answered}/resolve", json={"text": "fixed"},
                              headers=auth(op, version))).status_code == 200
    report = await client.get("/api/reports/tickets", headers=auth(op))
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["timezone"] == "Asia/Kolkata" and set(body) == {"from", "to", "timezone", "tickets", "summary"}
    rows = {t["number"]: t for t in body["tickets"]}
    assert set(rows) == {answered, waiting}
    assert rows[answered]["sla"] == "met" and rows[answered]["first_response_minutes"] in (0, 1)
    assert rows[answered]["resolution_minutes"] in (0, 1) and rows[answered]["status"] == "resolved"
    assert rows[waiting]["sla"] == "pending" and rows[waiting]["first_response_minutes"] is None
    assert rows[waiting]["filed_at"].endswith("+05:30")
    [group] = body["summary"]
    assert (group["tickets"], group["sla_met"], group["sla_missed"]) == (2, 1, 0)
    assert group["median_first_response_minutes"] in (0.0, 1.0)
    too_long = await client.get("/api/reports/tickets", params={"from": "2025-01-01", "to": "2026-12-01"},
                                headers=auth(op))
    assert too_long.status_code == 422 and too_long.json()["message"].startswith("from:")
    backwards = await client.get("/api/reports/tickets", params={"from": "2026-12-02", "to": "2026-12-01"},
                                 headers=auth(op))
    assert backwards.status_code == 422
    assert (await client.get("/api/reports/tickets", headers=auth(tokens["tier"]))).status_code == 403


def test_the_sla_outcome_and_the_groups() -> None:
    due = datetime(2026, 12, 2, 10, tzinfo=UTC)
    assert sla_outcome(due - timedelta(minutes=1), due, due) == "met"
    assert sla_outcome(due + timedelta(minutes=1), due, due) == "missed"
    assert sla_outcome(None, due, due + timedelta(seconds=1)) == "missed"
    assert sla_outcome(None, due, due - timedelta(seconds=1)) == "pending"
    assert sla_outcome(None, None, due) == "no target"
    tickets = [ReportTicket(f"HD-{n}", "", "od.jatni", "technical", "P2", "l1", "open", sla, first, None)
               for n, (sla, first) in enumerate((("met", 10), ("missed", 50), ("met", 20), ("pending", None)))]
    [group] = summary(tickets)
    assert (group.tickets, group.sla_met, group.sla_missed, group.median_first_response_minutes,
            group.median_resolution_minutes) == (4, 2, 1, 20.0, None)
