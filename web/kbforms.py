"""Writing the knowledge base from the console: new entry, edit (three languages), rename.

A save goes into the entry's own lines of its file (kb.editing), is checked together with every other file,
and then every server process reloads (the KB version in the database, app.kb_sync).
"""

# No `from __future__ import annotations`: FastAPI must see the annotations of routes as objects.
import asyncio
import datetime as dt
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from core.errors import InvalidContent, NotFound
from core.modules import KNOWN_MODULES
from kb.editing import StaleEntry, fingerprint, rename_entry
from kb.loader import default_kb_dir
from kb.messages import LANGUAGE_NAMES
from kb.schema import AUDIENCES, TRANSLATED_LANGS, Entry
from web.context import Web, WebContext
from web.kbedit import FORM_FIELDS, Draft, form_of, parse, write_checked
from web.kbreview import send_for_review
from web.render import page
from web.session import Signed, SignedIn

router = APIRouter(prefix="/console/kb", include_in_schema=False)
NEW_FILE = "drafts.yaml"
Maintainer = SignedIn  # an account whose role holds kb_edit: the page rules say so (api/rules.py)


def _entry(web: WebContext, entry_id: str) -> Entry:
    entry = web.matcher.knowledge_base.get(entry_id)
    if entry is None:
        raise NotFound(f"no knowledge-base entry {entry_id!r}")
    return entry


def _form(web: WebContext, request: Request, signed: Signed, draft: Draft, old: Entry | None, *,
          status: int = 200, problem: str | None = None) -> HTMLResponse:
    return page(web, request, "kb_edit.html", kb_content=True, status=status, signed=signed, draft=draft, old=old,
                creating=old is None, modules=sorted(KNOWN_MODULES), audiences=AUDIENCES,
                langs=[(lang, LANGUAGE_NAMES[lang]) for lang in TRANSLATED_LANGS], problem=problem)


@router.get("/new")
async def new_entry(web: Web, request: Request, signed: Maintainer, question: str = "", alternates: str = "",
                    module: str = "", answer: str = "") -> HTMLResponse:
    """A blank form, or one drafted from a gap group's tickets."""
    values = dict.fromkeys(FORM_FIELDS, "") | {"question": question, "alternates": alternates, "audience": "all",
                                               "module": module, "answer": answer}
    return _form(web, request, signed, Draft(values), None)


@router.get("/{entry_id}/edit")
async def edit_entry(web: Web, request: Request, entry_id: str, signed: Maintainer) -> HTMLResponse:
    """The entry in a form: English, Odia and Hindi side by side."""
    entry = _entry(web, entry_id)
    return _form(web, request, signed, Draft(form_of(entry) | {"fingerprint": fingerprint(entry)}), entry)


async def _save(web: WebContext, request: Request, signed: Signed, old: Entry | None) -> Response:
    form = await request.form()
    values = {name: str(form.get(name, "")) for name in (*FORM_FIELDS, "fingerprint")}
    for_review = form.get("send") == "review"
    started_from = values.pop("fingerprint", "") or None
    entry, draft = parse(values, old, today=dt.date.today(), who=signed.who.name)
    draft.values["fingerprint"] = started_from or ""  # a corrected form still answers for the version it started from
    kb = web.matcher.knowledge_base
    if entry is not None and old is None and kb.get(entry.id) is not None:
        draft.errors["id"] = f"The id {entry.id!r} is taken by another entry already: choose another"
        entry = None
    if entry is None:
        return _form(web, request, signed, draft, old, status=422)
    directory = kb.directory or default_kb_dir()
    source = kb.source_of(old.id) if old else None
    path = Path(source.file) if source else directory / NEW_FILE
    if for_review:
        number = await send_for_review(web, path, entry, old.id if old else None, started_from, signed.who.name)
        return RedirectResponse(f"/console/kb/reviews?sent={number}", status_code=303)
    try:
        await asyncio.to_thread(write_checked, directory, path, entry, old.id if old else None, started_from)
    except StaleEntry as err:
        return _form(web, request, signed, draft, old, status=409, problem=str(err))
    except InvalidContent as err:
        return _form(web, request, signed, draft, old, status=422, problem=str(err))
    assert web.api.reload_kb is not None
    await web.api.reload_kb()
    return RedirectResponse(f"/console/kb?q={entry.id}&saved={entry.id}", status_code=303)


@router.post("/new")
async def create_entry(web: Web, request: Request, signed: Maintainer) -> Response:
    """Validate and add the entry to the drafts file; every server answers with it at once."""
    return await _save(web, request, signed, None)


@router.post("/{entry_id}/edit")
async def save_edit(web: Web, request: Request, entry_id: str, signed: Maintainer) -> Response:
    """Validate and write the entry into its own lines of its file, then reload every server."""
    return await _save(web, request, signed, _entry(web, entry_id))


@router.post("/{entry_id}/rename")
async def rename(web: Web, request: Request, entry_id: str, signed: Maintainer) -> Response:
    """Give the entry a new id; the old one stays as an alias (eval files and tickets still find it)."""
    entry = _entry(web, entry_id)
    new_id = str((await request.form()).get("new_id", "")).strip()
    kb = web.matcher.knowledge_base
    draft = Draft(form_of(entry) | {"fingerprint": fingerprint(entry), "new_id": new_id})
    try:
        renamed = Entry.model_validate(entry.model_dump() | {"id": new_id})
    except ValueError:
        draft.errors["new_id"] = (f"The new id {new_id!r} is not a slug: use only lower-case letters, digits and "
                                  "hyphens, e.g. forgot-password")
        return _form(web, request, signed, draft, entry, status=422)
    if kb.get(new_id) is not None:
        draft.errors["new_id"] = f"The id {new_id!r} is taken by another entry already: choose another"
        return _form(web, request, signed, draft, entry, status=422)
    source = kb.source_of(entry.id)
    assert source is not None
    await asyncio.to_thread(rename_entry, Path(source.file), entry.id, renamed.id)
    assert web.api.reload_kb is not None
    await web.api.reload_kb()
    return RedirectResponse(f"/console/kb?q={renamed.id}&saved={renamed.id}", status_code=303)
