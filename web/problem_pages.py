"""Known problems in the console: the list, one problem with its tickets and history, and what the API's
problem routes do (link tickets, broadcast to every linked user, mark fixed), under the same rules."""

# No `from __future__ import annotations`: FastAPI must see the annotations of routes as objects.
import re
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.scopes import hidden_problems
from core.db import utcnow
from core.errors import HelpdeskError, NotFound
from tickets.problems import STATUSES, SqlProblems
from tickets.store import ticket_of
from web.context import Web, WebContext
from web.render import page
from web.session import Signed, SignedIn

router = APIRouter(prefix="/console", include_in_schema=False)
DONE = {"link": "tickets linked", "fixed": "marked fixed: its open tickets are resolved and their users told"}


def _store(web: WebContext, s: AsyncSession) -> SqlProblems:
    return SqlProblems(s, web.api.settings, web.api.due)


@router.get("/problems")
async def problems(web: Web, request: Request, signed: SignedIn,
                   status: Annotated[str, Query(max_length=16)] = "") -> HTMLResponse:
    """Known problems, newest first, open ones unless a status is chosen."""
    problem = None
    async with web.api.readers()() as s:
        try:
            found = await _store(web, s).find(status or None)
        except HelpdeskError as err:
            found, problem = [], str(err)
    async with web.api.one_read() as connection:
        hidden = await hidden_problems(connection, signed.who, [p.id for p in found])
    shown = [p for p in found if p.id not in hidden and (status or p.status != "fixed")]
    return page(web, request, "problems.html", status=422 if problem else 200, signed=signed, problems=shown,
                chosen=status, statuses=STATUSES, problem=problem, now=utcnow())


async def _problem_page(web: WebContext, request: Request, signed: Signed, problem_id: int, *, status: int = 200,
                        problem: str | None = None, done: str | None = None,
                        typed: dict[str, str] | None = None) -> HTMLResponse:
    async with web.api.sessions() as s:
        store = _store(web, s)
        found = await store.get(problem_id)
        events = await store.events(problem_id)
        tickets = [ticket_of(r) for r in await store.linked_rows(problem_id)]
    return page(web, request, "problem.html", status=status, signed=signed, p=found, events=events, tickets=tickets,
                problem=problem, done=done, typed=typed or {}, now=utcnow())


@router.get("/problems/{problem_id}")
async def problem_detail(web: Web, request: Request, problem_id: int,
                         signed: SignedIn,
                         done: Annotated[str, Query(max_length=16)] = "") -> HTMLResponse:
    """One problem: what it is, its linked tickets, its history, and what the role may do with it."""
    return await _problem_page(web, request, signed, problem_id, done=DONE.get(done) or (
        f"broadcast sent to {done} users" if done.isdigit() else None))


async def _change(web: WebContext, request: Request, signed: Signed, problem_id: int, what: str,
                  typed: dict[str, str], apply: Callable[[SqlProblems], Awaitable[object]]) -> Response:
    try:
        async with web.api.sessions() as s, s.begin():
            result = await apply(_store(web, s))
    except NotFound as err:
        if f"problem {problem_id}" in str(err):
            raise
        return await _problem_page(web, request, signed, problem_id, status=404, problem=f"{what}: {err}",
                                   typed=typed)
    except HelpdeskError as err:
        return await _problem_page(web, request, signed, problem_id, status=409, problem=f"{what}: {err}",
                                   typed=typed)
    done = str(result) if what == "broadcast" else what
    return RedirectResponse(f"/console/problems/{problem_id}?done={done}", status_code=303)


@router.post("/problems/{problem_id}/links")
async def link(web: Web, request: Request, problem_id: int,
               signed: SignedIn,
               tickets: Annotated[str, Form(max_length=2000)]) -> Response:
    """Link tickets (numbers separated by spaces or commas) to the problem."""
    numbers = [n for n in re.split(r"[\s,]+", tickets) if n]
    return await _change(web, request, signed, problem_id, "link", {"link": tickets},
                         lambda store: store.link(problem_id, signed.who.name, numbers))


@router.post("/problems/{problem_id}/broadcast")
async def broadcast(web: Web, request: Request, problem_id: int,
                    signed: SignedIn,
                    text: Annotated[str, Form(max_length=4000)]) -> Response:
    """Tell every user linked to the problem, once each, through their channel."""
    return await _change(web, request, signed, problem_id, "broadcast", {"broadcast": text},
                         lambda store: store.broadcast(problem_id, signed.who.name, text))


@router.post("/problems/{problem_id}/fixed")
async def mark_fixed(web: Web, request: Request, problem_id: int,
                     signed: SignedIn,
                     version: Annotated[int, Form()], reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    """Mark the problem fixed: its open tickets are resolved and each user is asked whether it works now."""
    return await _change(web, request, signed, problem_id, "fixed", {"fixed": reason},
                         lambda store: store.update(problem_id, signed.who.name, version, reason.strip() or None,
                                                    status="fixed"))
