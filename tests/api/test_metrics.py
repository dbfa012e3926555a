"""Prometheus metrics: requests by route template and status, and the database's totals at scrape time."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from api.metrics import install_metrics
from app.wiring import Services, build_app
from tests.api.conftest import FileTicket, auth
from tickets.delivery import DeliveryError, deliver_due
from tickets.outbox import OutboxItem


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def _scrape(client: httpx.AsyncClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return _samples(response.text)


def _labels(**values: str) -> frozenset[tuple[str, str]]:
    return frozenset(values.items())


async def test_requests_are_counted_by_route_template_and_status(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str], services: Services, file_ticket: FileTicket
) -> None:
    install_metrics(app, services.sessions)
    number = await file_ticket()
    await client.get(f"/api/tickets/{number}", headers=auth(tokens["operator"]))
    await client.get("/api/tickets/HD-999999", headers=auth(tokens["operator"]))
    await client.get("/no/such/page")
    got = await _scrape(client)
    route = "/api/tickets/{number}"
    assert got[("helpdesk_http_requests_total", _labels(method="GET", route=route, status="200"))] == 1
    assert got[("helpdesk_http_requests_total", _labels(method="GET", route=route, status="404"))] == 1
    assert got[("helpdesk_http_requests_total", _labels(method="GET", route="unmatched", status="404"))] == 1
    assert got[("helpdesk_http_request_duration_seconds_count", _labels(method="GET", route=route))] == 2


async def test_tickets_deflections_and_the_outbox_are_read_at_scrape_time(
    app: FastAPI, client: httpx.AsyncClient, services: Services, file_ticket: FileTicket
) -> None:
    install_metrics(app, services.sessions)
    before = await _scrape(client)
    await file_ticket()
    await file_ticket()
    await client.post("/api/webhooks")  # counted too, though refused
    after = await _scrape(client)
    assert before[("helpdesk_tickets_filed_total", frozenset())] == 0
    assert after[("helpdesk_tickets_filed_total", frozenset())] == 2
    assert after[("helpdesk_deflections_total", frozenset())] == 0


async def test_the_outbox_gauges_show_pending_and_given_up_items(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str], services: Services, file_ticket: FileTicket
) -> None:
    install_metrics(app, services.sessions)
    for _ in range(2):
        await client.post("/api/webhooks", json={"url": "http://93.184.215.14:9/h", "events": ["ticket.created"]},
                          headers=auth(tokens["admin"]))
    await file_ticket()

    class Refusing:
        async def send(self, item: OutboxItem) -> None:
            if item.user_id == "1":
                raise DeliveryError("HTTP 404", retryable=False)
            raise DeliveryError("HTTP 503", retryable=True)

    await deliver_due(services.sessions, {"webhook": Refusing()})
    got = await _scrape(client)
    assert got[("helpdesk_outbox_pending", _labels(channel="webhook"))] == 1
    assert got[("helpdesk_outbox_dead", _labels(channel="webhook"))] == 1


async def test_each_app_has_its_own_counters(services: Services) -> None:
    counts = []
    for _ in range(2):
        app = build_app(services)
        install_metrics(app, services.sessions)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://helpdesk") as c:
            await c.get("/healthz")
            got = await _scrape(c)
        counts.append(got[("helpdesk_http_requests_total", _labels(method="GET", route="/healthz", status="200"))])
    assert counts == [1, 1]


async def test_installing_twice_changes_nothing(app: FastAPI, services: Services) -> None:
    assert install_metrics(app, services.sessions) is install_metrics(app, services.sessions)
