"""Knowledge-base pages: browse and search, what needs translating, and "Try a question"."""

# No `from __future__ import annotations`: FastAPI must see the annotations of routes as objects.
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from kb.messages import LANGUAGE_NAMES
from kb.normalize import SCRIPT_LANG, script_of
from kb.offer import faq_offer
from kb.schema import TRANSLATED_LANGS, Entry
from kb.search import search
from web.context import Web
from web.render import page
from web.session import SignedIn

router = APIRouter(prefix="/console/kb", include_in_schema=False)
CONSIDERED = 5  # how many ranked entries "Try a question" shows beside the ones offered
ROLES = ("employee", "cbo")


def translation_state(entry: Entry) -> list[dict[str, str]]:
    """Per language: 'missing', 'stale' or 'ok', for the list's badges."""
    states = []
    for lang in TRANSLATED_LANGS:
        translation = entry.translations.get(lang)  # type: ignore[call-overload]
        state = "missing" if translation is None else "stale" if translation.stale else "ok"
        states.append({"lang": lang, "name": LANGUAGE_NAMES[lang], "state": state})
    return states


@router.get("")
async def browse(web: Web, request: Request, signed: SignedIn,
                 q: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    """Every entry, or those with every word of `q` in some language's question, alternates or answer."""
    kb = web.matcher.knowledge_base
    found = search(kb.entries, q) if q.strip() else None
    rows: list[dict[str, Any]] = [
        {"entry": f.entry, "field": f.field.label, "parts": f.parts, "translations": translation_state(f.entry)}
        for f in found
    ] if found is not None else [
        {"entry": e, "field": None, "parts": (), "translations": translation_state(e)} for e in kb.entries
    ]
    return page(web, request, "kb.html", kb_content=True, signed=signed, rows=rows, q=q, total=len(kb.entries),
                saved=request.query_params.get("saved"), roles=ROLES)


@router.get("/translations")
async def needs_translation(web: Web, request: Request,
                            signed: SignedIn) -> HTMLResponse:
    """Entries with a translation missing or written for an older English text."""
    rows = [{"entry": e, "translations": states} for e in web.matcher.knowledge_base.entries
            for states in [translation_state(e)] if any(s["state"] != "ok" for s in states)]
    return page(web, request, "kb_translations.html", kb_content=True, signed=signed, rows=rows)


def explain(web: Web, q: str, role: str, language: str | None) -> dict[str, Any]:
    """What the bot would do with `q` (the flow's own decision) and the matcher's reasons for it."""
    limit = web.api.settings.faq_max_hits
    result = faq_offer(web.matcher, q, language=language, role=role, limit=limit)
    offered = {hit.entry_id for hit in result.confident_hits}
    ranked = web.matcher.rank(q, audience=role, limit=max(CONSIDERED, limit))
    script = script_of(q)
    reasons = result.reasons
    top = reasons.score if reasons else (ranked[0][1] if ranked else 0.0)
    margin = reasons.margin if reasons else 0.0
    threshold = reasons.threshold if reasons else web.matcher.threshold_for(script)
    if not ranked:
        why = f"no entry shares a word with it in {script} script"
    elif result.abstain:
        why = f"the best score {top:.3f} is below the threshold {threshold:.3f}"
    else:
        decision = {"clear": "one answer is clearly ahead", "close": "a few answers are close"}.get(
            reasons.decision if reasons else "", "")
        why = f"the best score {top:.3f} reaches the threshold {threshold:.3f}" + (f"; {decision}" if decision else "")
    rows = [{"entry": entry, "score": score, "offered": entry.id in offered} for entry, score in ranked]
    return {"result": result, "rows": rows, "offered": len(offered), "top": top, "margin": margin,
            "threshold": threshold, "script": script, "why": why, "limit": limit,
            "language": language or SCRIPT_LANG[script]}


@router.get("/try")
async def try_question(web: Web, request: Request, signed: SignedIn,
                       q: Annotated[str, Query(max_length=500)] = "",
                       role: Annotated[str, Query(pattern="^(employee|cbo)$")] = "employee") -> HTMLResponse:
    """Exactly what the bot would do with a question: the answers it offers, or that it abstains, and why."""
    shown = explain(web, q, role, None) if q.strip() else None
    return page(web, request, "kb_try.html", kb_content=True, signed=signed, q=q, role=role, shown=shown)
