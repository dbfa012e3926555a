"""Searching tickets through the API: numbers, users, and words in English, Odia and Hindi, on both databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.wiring import Services
from tests.api.conftest import auth
from tickets.store import SqlTicketStore, TicketDraft

ODIA = "ମଜୁରି ପେମେଣ୍ଟ ଆସିନାହିଁ ମଷ୍ଟର ରୋଲ୍ ପରେ"  # "wage payment has not come after the muster roll"
HINDI = "बिल जमा करने पर त्रुटि दिखती है"  # "an error shows when submitting the bill"


async def _file(services: Services, description: str, user: str = "777001", language: str = "en") -> str:
    async with services.sessions() as s, s.begin():
        store = SqlTicketStore(s, services.settings.ticket_prefix)
        ticket = await store.file(TicketDraft(
            channel="telegram", user_id=user, role="junior_engineer", ulb="od.jatni", language=language,
            module="bills", category="technical", priority="P2", priority_reason="test", description=description,
            team="l1"))
    return ticket.number


async def _search(client: httpx.AsyncClient, token: str, q: str, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/tickets", params={"q": q, **params}, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _numbers(page: dict[str, Any]) -> list[str]:
    return [t["number"] for t in page["items"]]


async def test_a_latin_word_finds_the_tickets_that_say_it_best_match_first(
    client: httpx.AsyncClient, tokens: dict[str, str], services: Services
) -> None:
    once = await _file(services, "The measurement book page is slow")
    twice = await _file(services, "Measurement book: cannot save the measurement")
    await _file(services, "login OTP never arrives")
    page = await _search(client, tokens["operator"], "MEASUREMENT")
    assert _numbers(page) == [twice, once]
    assert _numbers(await _search(client, tokens["operator"], "measurement otp")) == []  # every word must occur


async def test_an_odia_word_finds_the_odia_ticket(
    client: httpx.AsyncClient, tokens: dict[str, str], services: Services
) -> None:
    odia = await _file(services, ODIA, language="or")
    await _file(services, HINDI, language="hi")
    await _file(services, "wage payment not received")
    assert _numbers(await _search(client, tokens["operator"], "ଆସିନାହିଁ")) == [odia]
    assert _numbers(await _search(client, tokens["operator"], "ମଷ୍ଟର ମଜୁରି")) == [odia]
    assert _numbers(await _search(client, tokens["operator"], "ମଷ୍ଟ")) == []  # words, not fragments


async def test_a_devanagari_word_finds_the_ticket_whose_reply_says_it(
    client: httpx.AsyncClient, tokens: dict[str, str], services: Services
) -> None:
    hindi = await _file(services, HINDI, language="hi")
    other = await _file(services, "bill page error", language="hi")
    reply = await client.post(f"/api/tickets/{other}/reply", json={"text": "कृपया स्क्रीनशॉट भेजें"},
                              headers=auth(tokens["operator"]))
    assert reply.status_code == 200, reply.text
    assert _numbers(await _search(client, tokens["operator"], "त्रुटि")) == [hindi]
    assert _numbers(await _search(client, tokens["operator"], "स्क्रीनशॉट")) == [other]


async def test_a_ticket_number_or_a_user_finds_that_ticket_first_whatever_its_status(
    client: httpx.AsyncClient, tokens: dict[str, str], services: Services
) -> None:
    first = await _file(services, "ticket 2 of mine is about error 2", user="555")
    second = await _file(services, "bill error", user="556")
    for typed in (second, second.lower(), second.split("-")[1], str(int(second.split("-")[1]))):
        assert _numbers(await _search(client, tokens["operator"], typed))[0] == second, typed
    assert _numbers(await _search(client, tokens["operator"], "2")) == [second, first]  # the number, then the word
    resolved = await client.post(f"/api/tickets/{first}/resolve", json={"text": "fixed"},
                                 headers=auth(tokens["operator"], 1))
    assert resolved.status_code == 200, resolved.text
    assert _numbers(await _search(client, tokens["operator"], "555")) == [first]
    assert _numbers(await _search(client, tokens["operator"], "555", status="new")) == []
    assert _numbers(await _search(client, tokens["operator"], "HD-999999")) == []


async def test_search_results_page_and_a_bad_search_is_a_clear_422(
    client: httpx.AsyncClient, tokens: dict[str, str], services: Services
) -> None:
    filed = [await _file(services, f"attendance not saved, case {n}") for n in range(3)]
    seen, cursor = [], None
    while True:
        more: dict[str, str] = {"cursor": cursor} if cursor else {}
        page = await _search(client, tokens["operator"], "attendance", limit=2, **more)
        seen += _numbers(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(filed) and len(seen) == 3
    too_long = await client.get("/api/tickets", params={"q": "x" * 201}, headers=auth(tokens["operator"]))
    assert too_long.status_code == 422 and "q" in too_long.json()["message"]
    bad = await client.get("/api/tickets", params={"q": "bill", "cursor": "zzz"}, headers=auth(tokens["operator"]))
    assert bad.status_code == 422 and bad.json()["message"].startswith("cursor:")
    syntax = await _search(client, tokens["operator"], 'attendance" OR NEAR(* -')  # FTS syntax is just text
    assert _numbers(syntax) == []


@pytest.mark.parametrize("typed", ["bill", "HD-000001"])
async def test_a_tier_team_finds_only_the_tickets_escalated_to_it(
    client: httpx.AsyncClient, tokens: dict[str, str], services: Services, typed: str
) -> None:
    await _file(services, "bill error")
    assert _numbers(await _search(client, tokens["operator"], typed)) == ["HD-000001"]
    assert _numbers(await _search(client, tokens["tier"], typed)) == []
