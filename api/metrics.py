"""Prometheus metrics at `GET /metrics`, one registry per app (tests and several apps never share counters).

Request counts and latency are counted in-process, labelled by route template (`/api/tickets/{number}`,
never the raw path, so label values stay few). Totals that live in the database (tickets filed,
deflections, the outbox backlog) are read from it at scrape time, so every worker reports the same truth.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.throttle import lockout_counts
from core.db import utcnow
from tickets.delivery import Backlog, backlog
from tickets.models import DeflectionRow, TicketRow

UNMATCHED = "unmatched"  # requests no route answered (404s), one label value for all of them


class RequestMetrics:
    """ASGI middleware counting each HTTP request and timing it, by method, route template and status."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter("helpdesk_http_requests", "HTTP requests answered",
                                ["method", "route", "status"], registry=registry)
        self.latency = Histogram("helpdesk_http_request_duration_seconds", "Time to answer an HTTP request",
                                 ["method", "route"], registry=registry)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # unless the app says otherwise before failing

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, sending)
        finally:
            route: BaseRoute | None = scope.get("route")
            template = str(getattr(route, "path", UNMATCHED))
            self.latency.labels(scope["method"], template).observe(time.perf_counter() - started)
            self.requests.labels(scope["method"], template, str(status)).inc()


class _Snapshot(Collector):
    """Database figures read once for one scrape."""

    def __init__(self, tickets: int, deflections: int, outbox: dict[str, Backlog], locked: dict[str, int]) -> None:
        self._tickets, self._deflections, self._outbox, self._locked = tickets, deflections, outbox, locked

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        yield CounterMetricFamily("helpdesk_tickets_filed", "Tickets filed, ever", value=self._tickets)
        yield CounterMetricFamily("helpdesk_deflections", "Problems the knowledge base solved, ever",
                                  value=self._deflections)
        pending = GaugeMetricFamily("helpdesk_outbox_pending", "Outbox items still to deliver", labels=["channel"])
        dead = GaugeMetricFamily("helpdesk_outbox_dead", "Outbox items given up on", labels=["channel"])
        for channel, counts in self._outbox.items():
            pending.add_metric([channel], counts.pending)
            dead.add_metric([channel], counts.dead)
        yield pending
        yield dead
        locked = GaugeMetricFamily("helpdesk_sign_in_lockouts", "Console sign-in lockouts in force, by kind",
                                   labels=["kind"])
        for kind, count in self._locked.items():
            locked.add_metric([kind], count)
        yield locked


async def _snapshot(session: AsyncSession, now: datetime) -> _Snapshot:
    tickets = await session.scalar(select(func.count()).select_from(TicketRow))
    deflections = await session.scalar(select(func.count()).select_from(DeflectionRow))
    return _Snapshot(int(tickets or 0), int(deflections or 0), await backlog(session),
                     await lockout_counts(session, now))


def install_metrics(app: FastAPI, sessions: async_sessionmaker[AsyncSession],
                    clock: Callable[[], datetime] = utcnow) -> CollectorRegistry:
    """Count `app`'s requests and serve `GET /metrics`; call before the app serves (idempotent)."""
    existing: CollectorRegistry | None = getattr(app.state, "metrics_registry", None)
    if existing is not None:
        return existing
    registry = CollectorRegistry()
    app.state.metrics_registry = registry
    app.add_middleware(RequestMetrics, registry=registry)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        async with sessions() as session:
            snapshot = await _snapshot(session, clock())
        scrape = CollectorRegistry()
        scrape.register(snapshot)
        text = generate_latest(registry) + generate_latest(scrape)
        return Response(text, media_type=CONTENT_TYPE_LATEST)

    return registry
