"""Review, not just save: a change sent for review waits, with its diff, until a second maintainer approves it.

Approval writes the change (refused if the entry changed since it was drafted), records who and when, makes
every server reload, and commits the file when the content folder is a git checkout.
"""

# No `from __future__ import annotations`: FastAPI must see the annotations of routes as objects.
import asyncio
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from core.db import utcnow
from core.errors import InvalidContent, NotFound
from core.kb_drafts import KbDraftRow
from kb.editing import StaleEntry, diff_of
from kb.gitcommit import commit_file
from kb.loader import default_kb_dir
from kb.schema import Entry
from web.context import Web, WebContext
from web.kbedit import write_checked
from web.render import page
from web.session import Signed, SignedIn

router = APIRouter(prefix="/console/kb", include_in_schema=False)
DECIDED_SHOWN = 20


async def send_for_review(web: WebContext, path: Path, entry: Entry, replaces: str | None,
                          started_from: str | None, author: str) -> int:
    """Keep the change, with the diff it would make, for a second maintainer; returns its number."""
    diff = await asyncio.to_thread(diff_of, path, entry, replaces)
    row = KbDraftRow(entry_id=entry.id, replaces=replaces, file=path.name, entry=entry.model_dump_json(),
                     started_from=started_from, diff=diff, author=author, created_at=utcnow(), status="pending")
    async with web.api.sessions() as s, s.begin():
        s.add(row)
        await s.flush()
        return row.id


async def _rows(web: WebContext) -> tuple[list[KbDraftRow], list[KbDraftRow]]:
    async with web.api.sessions() as s:
        pending = list(await s.scalars(select(KbDraftRow).where(KbDraftRow.status == "pending")
                                       .order_by(KbDraftRow.id)))
        decided = list(await s.scalars(select(KbDraftRow).where(KbDraftRow.status != "pending")
                                       .order_by(KbDraftRow.decided_at.desc()).limit(DECIDED_SHOWN)))
    return pending, decided


async def _page(web: WebContext, request: Request, signed: Signed, status: int = 200,
                problem: str | None = None) -> HTMLResponse:
    pending, decided = await _rows(web)
    return page(web, request, "kb_reviews.html", kb_content=True, status=status, signed=signed, pending=pending,
                decided=decided, problem=problem, sent=request.query_params.get("sent"),
                approved=request.query_params.get("approved"))


@router.get("/reviews")
async def reviews(web: Web, request: Request, signed: SignedIn) -> HTMLResponse:
    """Changes waiting for a second maintainer, each with its diff; and the last ones approved, by whom."""
    return await _page(web, request, signed)


@router.post("/reviews/{number}/approve")
async def approve(web: Web, request: Request, number: int,
                  signed: SignedIn) -> Response:
    """Approve a change: written, reloaded everywhere, recorded, and committed when the folder is in git."""

    async with web.api.sessions() as s:
        row = await s.get(KbDraftRow, number)
    if row is None or row.status != "pending":
        raise NotFound(f"no change {number} waiting for review")
    if row.author == signed.who.name:
        return await _page(web, request, signed, 409, f"{row.author} wrote change {number}: a second maintainer "
                                                      "must approve it")
    entry = Entry.model_validate_json(row.entry)
    directory = web.matcher.knowledge_base.directory or default_kb_dir()
    path = directory / row.file
    try:
        await asyncio.to_thread(write_checked, directory, path, entry, row.replaces, row.started_from)
    except (StaleEntry, InvalidContent) as err:
        return await _page(web, request, signed, 409, f"change {number} cannot be applied: {err}")
    assert web.api.reload_kb is not None
    await web.api.reload_kb()
    message = f"kb: {entry.id} ({'edited' if row.replaces else 'added'}) by {row.author}, approved by {signed.who.name}"
    commit = await asyncio.to_thread(commit_file, path, message, signed.who.name)
    async with web.api.sessions() as s, s.begin():
        stored = await s.get(KbDraftRow, number)
        assert stored is not None
        stored.status, stored.decided_by, stored.decided_at, stored.commit = (
            "approved", signed.who.name, utcnow(), commit)
    return RedirectResponse(f"/console/kb/reviews?approved={number}", status_code=303)
