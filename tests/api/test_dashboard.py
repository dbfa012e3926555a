"""The dashboard: what was filed and deflected in a period of local days, and how well it was answered."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from app.wiring import Services
from tests.api.conftest import auth
from tests.clock import FixedClock
from tests.security.identity_helpers import use_clock
from tickets.models import DeflectionRow, TicketRow

IST = ZoneInfo("Asia/Kolkata")
PERIOD = {"from": "2024-03-04", "to": "2024-03-05"}
NOW = datetime(2024, 3, 6, 12, 0, tzinfo=IST)  # the day after the period: the time every test's app reads


@pytest.fixture(autouse=True)
def fixed_clock(app: FastAPI) -> None:
    use_clock(app, FixedClock(NOW))


def ist(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=IST)


def _row(n: int, created: datetime, **values: Any) -> TicketRow:
    defaults: dict[str, Any] = {
        "number": f"HD-{n:06d}", "channel": "telegram", "user_id": f"u{n}", "ulb": "od.jatni", "language": "en",
        "module": "bills", "category": "technical", "priority": "P2", "priority_reason": "-",
        "description": "-", "team": "state_tech", "status": "new", "created_at": created, "updated_at": created,
    }
    return TicketRow(**(defaults | values))


async def _add(services: Services, *rows: TicketRow | DeflectionRow) -> None:
    async with services.sessions() as session, session.begin():
        session.add_all(rows)


def _deflection(at: datetime) -> DeflectionRow:
    return DeflectionRow(channel="telegram", user_id="u", entry_id="forgot-password", description="-",
                         ulb="od.jatni", created_at=at)


async def _dashboard(client: httpx.AsyncClient, token: str, **params: str) -> dict[str, Any]:
    response = await client.get("/api/dashboard", params=params, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture
async def march(services: Services) -> None:
    """Five tickets filed on 4-5 March 2024 (IST), one just after; three deflections, one just before."""
    await _add(
        services,
        _row(1, ist("2024-03-04 10:00"), response_due_at=ist("2024-03-04 14:00"),
             first_response_at=ist("2024-03-04 12:00"), csat_rating=4),  # answered in time
        _row(2, ist("2024-03-04 11:00"), status="resolved", ulb="od.dhenkanal", category="functional",
             priority="P3", response_due_at=ist("2024-03-05 11:00"), first_response_at=ist("2024-03-05 15:00"),
             csat_rating=2),  # answered late
        _row(3, ist("2024-03-05 09:00"), status="open", ulb=None, category="bug", priority="P1",
             response_due_at=ist("2024-03-05 13:00")),  # never answered, overdue
        _row(4, ist("2024-03-05 10:00"), response_due_at=NOW + timedelta(days=1)),  # not due yet
        _row(5, ist("2024-03-04 00:30"), status="closed", category="functional", priority="P4",
             first_response_at=ist("2024-03-04 04:30")),  # no target; 19:00 UTC the day before
        _row(6, ist("2024-03-06 00:30")),  # 19:00 UTC on the 5th, but the 6th in Odisha
        _deflection(ist("2024-03-04 10:00")), _deflection(ist("2024-03-05 23:59")),
        _deflection(ist("2024-03-03 23:59")),
    )


async def test_the_dashboard_counts_what_was_filed_in_the_period(
    client: httpx.AsyncClient, tokens: dict[str, str], march: None
) -> None:
    board = await _dashboard(client, tokens["operator"], **PERIOD)
    assert (board["from"], board["to"], board["timezone"]) == ("2024-03-04", "2024-03-05", "Asia/Kolkata")
    assert board["tickets_filed"] == 5
    assert board["by_status"] == {"closed": 1, "new": 2, "open": 1, "resolved": 1}
    assert board["by_ulb"] == {"od.dhenkanal": 1, "od.jatni": 3, "unknown": 1}
    assert board["by_category"] == {"bug": 1, "functional": 2, "technical": 2}
    assert board["by_priority"] == {"P1": 1, "P2": 2, "P3": 1, "P4": 1}


async def test_deflections_and_the_deflection_rate(
    client: httpx.AsyncClient, tokens: dict[str, str], march: None
) -> None:
    board = await _dashboard(client, tokens["operator"], **PERIOD)
    assert board["deflections"] == 2
    assert board["deflection_rate"] == round(2 / 7, 4)


async def test_sla_compliance_counts_answered_and_overdue_tickets_only(
    client: httpx.AsyncClient, tokens: dict[str, str], march: None
) -> None:
    board = await _dashboard(client, tokens["operator"], **PERIOD)
    assert (board["sla_measured"], board["sla_met"]) == (3, 1)
    assert board["sla_compliance"] == round(1 / 3, 4)


async def test_median_first_response_and_csat(client: httpx.AsyncClient, tokens: dict[str, str], march: None) -> None:
    board = await _dashboard(client, tokens["operator"], **PERIOD)
    assert board["median_first_response_wall_clock_hours"] == 4.0  # of 2 h, 4 h and 28 h
    assert (board["csat_ratings"], board["csat_average"]) == (2, 3.0)


async def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two(
    client: httpx.AsyncClient, tokens: dict[str, str], services: Services
) -> None:
    start = ist("2024-03-04 09:00")
    await _add(services, *(_row(n, start, first_response_at=start + timedelta(hours=h))
                           for n, h in enumerate((11, 1, 5, 3), start=1)))
    board = await _dashboard(client, tokens["operator"], **PERIOD)
    assert board["median_first_response_wall_clock_hours"] == 4.0


async def test_an_empty_period_has_counts_but_no_rates(client: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    board = await _dashboard(client, tokens["admin"], **PERIOD)
    assert board["tickets_filed"] == board["deflections"] == board["sla_measured"] == board["csat_ratings"] == 0
    assert board["by_status"] == {}
    rates = ("deflection_rate", "sla_compliance", "median_first_response_wall_clock_hours", "csat_average")
    assert [board[k] for k in rates] == [None] * 4


async def test_without_dates_the_dashboard_shows_the_last_30_days(
    client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    board = await _dashboard(client, tokens["operator"])
    today = NOW.astimezone(IST).date()
    assert board["to"] == today.isoformat()
    assert board["from"] == (today - timedelta(days=29)).isoformat()


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"from": "2024-02-30"}, "from"),
        ({"to": "05/03/2024"}, "to"),
        ({"from": "2024-03-05", "to": "2024-03-04"}, "to"),
    ],
)
async def test_a_bad_date_is_refused_naming_the_parameter(
    client: httpx.AsyncClient, tokens: dict[str, str], params: dict[str, str], named: str
) -> None:
    response = await client.get("/api/dashboard", params=params, headers=auth(tokens["operator"]))
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_input"
    assert response.json()["message"].startswith(("query." + named, named))


@pytest.mark.parametrize(("role", "status"), [("operator", 200), ("kb_maintainer", 200), ("admin", 200),
                                              ("tier", 403)])
async def test_who_may_see_the_dashboard(
    client: httpx.AsyncClient, tokens: dict[str, str], role: str, status: int
) -> None:
    response = await client.get("/api/dashboard", params=PERIOD, headers=auth(tokens[role]))
    assert response.status_code == status
