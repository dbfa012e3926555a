"""Knowledge-base pages: browse and search, try a question, edit an entry, and the FAQ gap clusters."""

# No `from __future__ import annotations`: FastAPI must see the annotations of routes as objects.
import asyncio
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.scopes import scoped
from core.errors import InvalidContent, NotFound
from core.modules import KNOWN_MODULES
from kb.gaps import cluster_texts
from kb.loader import default_kb_dir
from kb.schema import AUDIENCES, Entry
from tickets.store import SqlTicketStore
from web.context import Web, WebContext
from web.kbedit import Draft, fingerprint, form_of, parse, write_entry
from web.render import page
from web.session import Signed, SignedIn

router = APIRouter(prefix="/console/kb", include_in_schema=False)
FORM_FIELDS = ("id", "question", "alternates", "answer", "module", "audience", "tags", "links", "owner", "reviewed")
NEW_FILE = "drafts.yaml"


def _matches(entry: Entry, words: str) -> bool:
    hay = " ".join([entry.id, entry.question, entry.module, *entry.alternates, *entry.tags]).lower()
    return all(word in hay for word in words.lower().split())


@router.get("")
async def browse(web: Web, request: Request, signed: SignedIn,
                 q: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    """Every entry, or those whose words contain all of `q`."""
    kb = web.matcher.knowledge_base
    entries = [e for e in kb.entries if _matches(e, q)] if q else list(kb.entries)
    return page(web, request, "kb.html", kb_content=True, signed=signed, entries=entries, q=q, total=len(kb.entries),
                saved=request.query_params.get("saved"))


@router.get("/try")
async def try_question(web: Web, request: Request, signed: SignedIn,
                       q: Annotated[str, Query(max_length=500)] = "") -> HTMLResponse:
    """What the bot would offer for a question: ranked entries, their scores, and whether it abstains."""
    result = web.matcher.match(q, limit=5) if q.strip() else None
    return page(web, request, "kb_try.html", kb_content=True, signed=signed, q=q, result=result,
                threshold=web.matcher.threshold)


def _source_file(web: WebContext, entry_id: str) -> Path:
    kb = web.matcher.knowledge_base
    source = kb.source_of(entry_id)
    if source is None:
        raise NotFound(f"no knowledge-base entry {entry_id!r}")
    return Path(source.file)


def _form(web: WebContext, request: Request, signed: Signed, draft: Draft, *, creating: bool,
          status: int = 200, problem: str | None = None) -> HTMLResponse:
    return page(web, request, "kb_edit.html", kb_content=True, status=status, signed=signed, draft=draft,
                creating=creating, modules=sorted(KNOWN_MODULES), audiences=AUDIENCES, problem=problem)


@router.get("/new")
async def new_entry(web: Web, request: Request, signed: SignedIn,
                    question: str = "", alternates: str = "") -> HTMLResponse:
    """A blank form, or one drafted from a gap cluster's examples."""
    values = dict.fromkeys(FORM_FIELDS, "") | {"question": question, "alternates": alternates, "audience": "all"}
    return _form(web, request, signed, Draft(values), creating=True)


@router.get("/{entry_id}/edit")
async def edit_entry(web: Web, request: Request, entry_id: str,
                     signed: SignedIn) -> HTMLResponse:
    """The entry in a form."""
    entry = web.matcher.knowledge_base.get(entry_id)
    if entry is None:
        raise NotFound(f"no knowledge-base entry {entry_id!r}")
    return _form(web, request, signed, Draft(form_of(entry) | {"fingerprint": fingerprint(entry)}), creating=False)


async def _values(request: Request) -> dict[str, str]:
    form = await request.form()
    return {name: str(form.get(name, "")) for name in (*FORM_FIELDS, "fingerprint")}


async def _save(web: WebContext, request: Request, signed: Signed, replaces: str | None) -> Response:
    values = await _values(request)
    kb = web.matcher.knowledge_base
    old = kb.get(replaces) if replaces else None
    seen = values.pop("fingerprint", "")
    entry, draft = parse(values, old.model_dump()["translations"] if old else {})
    draft.values["fingerprint"] = seen  # a corrected form still answers for the version it started from
    if old is not None and seen != fingerprint(old):
        return _form(web, request, signed, draft, creating=False, status=409,
                     problem="someone changed this entry since you opened it; reload the page to edit their version")
    if entry is not None and entry.id != replaces and kb.get(entry.id) is not None:
        draft.errors["id"] = f"an entry with id {entry.id!r} exists already"
        entry = None
    if entry is None:
        return _form(web, request, signed, draft, creating=replaces is None, status=422)
    directory = kb.directory or default_kb_dir()
    path = _source_file(web, replaces) if replaces else directory / NEW_FILE
    previous = await asyncio.to_thread(write_entry, path, entry, replaces)
    try:
        assert web.api.reload_kb is not None
        await web.api.reload_kb()
    except InvalidContent as err:  # the file is fine alone but the whole base is not: put it back
        await asyncio.to_thread(path.write_text, previous, "utf-8")
        return _form(web, request, signed, draft, creating=replaces is None, status=422, problem=str(err))
    return RedirectResponse(f"/console/kb?q={entry.id}&saved={entry.id}", status_code=303)


@router.post("/new")
async def create_entry(web: Web, request: Request,
                       signed: SignedIn) -> Response:
    """Validate and add the entry to the drafts file; the bot answers with it at once."""
    return await _save(web, request, signed, None)


@router.post("/{entry_id}/edit")
async def save_entry(web: Web, request: Request, entry_id: str,
                     signed: SignedIn) -> Response:
    """Validate and write the entry to its file, then reload the matcher."""
    if web.matcher.knowledge_base.get(entry_id) is None:
        raise NotFound(f"no knowledge-base entry {entry_id!r}")
    return await _save(web, request, signed, entry_id)


@router.get("/gaps")
async def gaps(web: Web, request: Request, signed: SignedIn) -> HTMLResponse:
    """Filed tickets' problems grouped by likeness: what the FAQ should answer next."""
    async with web.api.sessions() as s:
        team = (signed.who.team or "-") if scoped(signed.who) else None  # a tier team: its own tickets only
        texts = await SqlTicketStore(s, web.api.settings.ticket_prefix).descriptions(2000, escalated_to=team)
    synonyms = web.matcher.knowledge_base.synonyms
    clusters = await asyncio.to_thread(cluster_texts, texts, synonyms=synonyms)
    rows: list[dict[str, Any]] = [
        {"size": c.size, "keywords": c.keywords, "examples": c.examples,
         "alternates": "\n".join(texts[i] for i in c.members[1:6])}
        for c in clusters[:20]
    ]
    return page(web, request, "gaps.html", signed=signed, clusters=rows, tickets=len(texts))
