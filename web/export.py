"""The weekly report as CSV from the console: every ticket filed in a period, or the same summed up by ULB,
category, priority and tier (tickets.weekly_report; the API has it as JSON at /api/reports/tickets)."""

# No `from __future__ import annotations`: FastAPI must see the annotations of routes as objects.
import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import astuple
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.validation import Day
from core.db import utcnow
from tickets.stats import Period
from tickets.weekly_report import (
    GROUP_COLUMNS,
    TICKET_COLUMNS,
    ReportTicket,
    report_period,
    sla_outcome,
    summary,
    ticket_report,
)
from web.console import Filters, Search, queue_rows_of
from web.context import Web, WebContext
from web.session import SignedIn

router = APIRouter(prefix="/console", include_in_schema=False)
Start = Annotated[Day | None, Query(alias="from")]
End = Annotated[Day | None, Query(alias="to")]


def _csv(columns: Sequence[str], rows: Iterable[Sequence[Any]], name: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:  # a cell a spreadsheet would run as a formula starts with an apostrophe
        writer.writerow(["'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v for v in row])
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",  # BOM: Excel reads UTF-8
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


async def _report(web: WebContext, start: Any, end: Any) -> tuple[Period, list[ReportTicket]]:
    period = report_period(start, end, ZoneInfo(web.api.settings.timezone), utcnow())
    async with web.api.readers()() as s, s.begin():
        return period, await ticket_report(s, period, utcnow())


@router.get("/export/tickets.csv")
async def tickets_csv(web: Web, signed: SignedIn,
                      start: Start = None, end: End = None) -> Response:
    """Every ticket filed in the period (default: the last 7 days), one line each."""
    period, found = await _report(web, start, end)
    with_names = ((*astuple(t), web.api.settings.ulb_name(t.ulb)) for t in found)
    return _csv((*TICKET_COLUMNS, "ulb_name"), with_names, f"tickets-{period.start}-{period.end}.csv")


@router.get("/export/summary.csv")
async def summary_csv(web: Web, signed: SignedIn,
                      start: Start = None, end: End = None) -> Response:
    """The period's tickets by ULB, category, priority and tier: SLA met and missed, median times."""
    period, found = await _report(web, start, end)
    return _csv(GROUP_COLUMNS, (astuple(g) for g in summary(found)), f"summary-{period.start}-{period.end}.csv")


QUEUE_COLUMNS = ("number", "filed_at", "status", "priority", "category", "module", "ulb", "ulb_name", "channel",
                 "tier", "assignee", "sla", "response_due_at", "first_response_at")


@router.get("/queue.csv")
async def queue_csv(web: Web, request: Request, signed: SignedIn,
                    f: Filters, q: Search = "") -> Response:
    """The queue (or a search) as it shows now, with the same filters: one line per ticket, no descriptions."""
    zone = ZoneInfo(web.api.settings.timezone)
    now = utcnow()

    def at(value: Any) -> str:
        return "" if value is None else value.astimezone(zone).isoformat(timespec="minutes")

    rows = ((t.number, at(t.created_at), t.status, t.priority, t.category, t.module, t.ulb or "",
             web.api.settings.ulb_name(t.ulb) if t.ulb else "", t.channel, t.escalated_to or t.team, t.assignee or "",
             sla_outcome(t.first_response_at, t.response_due_at, now), at(t.response_due_at), at(t.first_response_at))
            for t, *_ in await queue_rows_of(web, signed, f, q))
    return _csv(QUEUE_COLUMNS, rows, f"queue-{now.astimezone(zone).date()}.csv")
