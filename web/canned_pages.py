"""Canned responses as data: maintainers add, edit and delete them in the console, in English, Odia and
Hindi (tickets.canned); the ticket page offers them in the ticket's language."""

# No `from __future__ import annotations`: FastAPI must see the annotations of routes as objects.
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from core.errors import HelpdeskError, NotFound
from tickets.canned import LANGUAGES, MAX_TEXT, SqlCanned
from web.context import Web, WebContext
from web.render import page
from web.session import Signed, SignedIn

router = APIRouter(prefix="/console", include_in_schema=False)
Editor = SignedIn
Text = Annotated[str, Form(max_length=MAX_TEXT)]
Title = Annotated[str, Form(max_length=200)]


async def _page(web: WebContext, request: Request, signed: Signed, *, status: int = 200,
                problem: str | None = None, done: str | None = None) -> HTMLResponse:
    async with web.api.readers()() as s:
        found = await SqlCanned(s).all()
    return page(web, request, "canned.html", status=status, signed=signed, canned=found, languages=LANGUAGES,
                problem=problem, done=done)


@router.get("/canned")
async def listing(web: Web, request: Request, signed: Editor, done: str = "") -> HTMLResponse:
    """Every canned response with its three languages, each editable."""
    return await _page(web, request, signed, done={"saved": "saved", "deleted": "deleted"}.get(done))


async def _write(web: WebContext, request: Request, signed: Signed, work: str, canned_id: int | None,
                 title: str, texts: dict[str, str]) -> Response:
    try:
        async with web.api.sessions() as s, s.begin():
            store = SqlCanned(s)
            if work == "delete" and canned_id is not None:
                await store.delete(canned_id)
            elif canned_id is None:
                await store.create(signed.who.name, title, texts)
            else:
                await store.update(canned_id, signed.who.name, title, texts)
    except NotFound as err:
        return await _page(web, request, signed, status=404, problem=str(err))
    except HelpdeskError as err:
        return await _page(web, request, signed, status=422, problem=str(err))
    return RedirectResponse(f"/console/canned?done={'deleted' if work == 'delete' else 'saved'}", status_code=303)


@router.post("/canned")
async def create(web: Web, request: Request, signed: Editor, title: Title, en: Text = "", or_: Annotated[
        str, Form(alias="or", max_length=MAX_TEXT)] = "", hi: Text = "") -> Response:
    """A new canned response (English required; Odia and Hindi fall back to it until written)."""
    return await _write(web, request, signed, "create", None, title, {"en": en, "or": or_, "hi": hi})


@router.post("/canned/{canned_id}")
async def update(web: Web, request: Request, signed: Editor, canned_id: int, title: Title, en: Text = "",
                 or_: Annotated[str, Form(alias="or", max_length=MAX_TEXT)] = "", hi: Text = "") -> Response:
    """Change a canned response's title or texts."""
    return await _write(web, request, signed, "update", canned_id, title, {"en": en, "or": or_, "hi": hi})


@router.post("/canned/{canned_id}/delete")
async def delete(web: Web, request: Request, signed: Editor, canned_id: int) -> Response:
    """Delete a canned response."""
    return await _write(web, request, signed, "delete", canned_id, "", {})
