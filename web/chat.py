"""The users' web chat: a page that talks to the conversation engine and waits for the helpdesk's messages.

A browser is known by a long-lived, signed, HttpOnly cookie, so a reload or a visit the next day finds its
conversation, its bubbles (`web.chat_store`) and whatever operators sent meanwhile. Opening the page makes
nothing: the greeting is a preview, and the conversation starts with the first message. After a ticket is
filed the user gets a short code (and a link) to carry the conversation to another device.
"""

# No `from __future__ import annotations`: FastAPI must see the closures' annotations as objects.
import asyncio
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from itsdangerous import BadSignature

from core import ticket_choices
from core.errors import NotFound
from core.i18n import IST, LANGUAGES, supported_language
from core.messages import REFUSED, Attachment, Inbound, Reply, UserRef
from core.settings import Settings
from tickets.attachments import kind_of
from web.chat_store import Line, bot_lines
from web.context import Web, WebContext
from web.render import page

log = logging.getLogger(__name__)
CHANNEL = "web"
COOKIE = "hd_chat"
SEND_PATH = "/web/chat/send"
_SALT = "web-chat"
_UPLOAD_OVERHEAD = 64 * 1024  # the form's other fields and multipart framing around a photo
_WAIT_STEP_S = 0.2  # how often a held wait request looks for a new message
_TEXT_KEYS = ("web.chat.title", "web.chat.placeholder", "web.chat.send", "web.chat.photo", "web.chat.ticket",
              "web.chat.language", "web.chat.code_label", "web.chat.code_button", "web.chat.code_unknown",
              "web.chat.too_big", "web.chat.not_image", "web.chat.rate_limited", "web.chat.failed",
              "web.chat.remove_photo", "web.chat.read_more", "web.chat.read_less", "web.chat.open_photo")
_REFUSALS = {"too_large": "web.chat.too_big", "not_image": "web.chat.not_image",
             "rate_limited": "web.chat.rate_limited"}

router = APIRouter(prefix="/web/chat", include_in_schema=False)


def body_limits(settings: Settings) -> dict[str, int]:
    """The send route's own request limit: a photo, not the 1 MiB JSON cap."""
    return {SEND_PATH: settings.web_chat_photo_max_bytes + _UPLOAD_OVERHEAD}


def _texts(web: WebContext, lang: str) -> dict[str, str]:
    limit = web.api.settings.web_chat_photo_max_bytes // (1024 * 1024)
    return {k.rsplit(".", 1)[1]: web.catalog.text(k, lang, limit=limit) for k in _TEXT_KEYS}


def _user_id(web: WebContext, request: Request) -> str | None:
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    try:
        return str(web.signer.loads(cookie, salt=_SALT))
    except BadSignature:
        return None  # a cookie from another secret, or tampered with: a new visitor


def _keep(web: WebContext, request: Request, response: Response, user_id: str) -> None:
    """(Re)set the cookie that carries this browser's conversation."""
    response.set_cookie(COOKIE, web.signer.dumps(user_id, salt=_SALT), httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/web/chat",
                        max_age=web.api.settings.web_chat_cookie_days * 86400)


def _refusal(web: WebContext, status: int, code: str, lang: str, retry_after: float = 0) -> JSONResponse:
    """A 4xx the page shows in the user's language, keeping what they typed."""
    message = web.catalog.text(_REFUSALS[code], lang, limit=web.api.settings.web_chat_photo_max_bytes // (1024 * 1024))
    headers = {"Retry-After": str(max(1, round(retry_after)))} if retry_after else None
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def _client(request: Request) -> str:
    return request.client.host if request.client else "-"


def _visible_choices(lines: list[Line]) -> int | None:
    """The index of the one bubble whose choices still apply: the newest with choices, unless the user has
    written since."""
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].side == "me":
            return None
        if lines[index].choices:
            return index
    return None


def _bubbles(web: WebContext, request: Request, lines: list[Line], lang: str, *, preview: bool = False,
             status: int = 200) -> HTMLResponse:
    return page(web, request, "chat_bubbles.html", status=status,
                frame_ancestors=web.api.settings.web_frame_ancestors, lines=lines, texts=_texts(web, lang),
                choices_at=_visible_choices(lines), preview=preview, ist=_ist, unbroken=_unbroken(web))


def _ist(moment: datetime) -> str:
    return moment.astimezone(IST).strftime("%H:%M")


def _unbroken(web: WebContext) -> Callable[[str], list[tuple[str, bool]]]:
    """A bubble's text in parts, each with whether it is a ticket number, which the page keeps on one line
    ("HD-000001କୁ" does not wrap after the hyphen on a narrow phone); the template escapes every part."""
    number = re.compile(rf"({re.escape(web.api.settings.ticket_prefix)}-\d+\S*)")

    def parts(text: str) -> list[tuple[str, bool]]:
        return [(part, index % 2 == 1) for index, part in enumerate(number.split(text)) if part]
    return parts


@router.get("")
async def chat_page(web: Web, request: Request, lang: Annotated[str, Query(max_length=10)] = "en",
                    code: Annotated[str, Query(max_length=20)] = "") -> HTMLResponse:
    """The page: this browser's conversation so far, or for a new visitor a greeting (nothing is stored)."""
    user_id = _user_id(web, request)
    language = await web.history.language(user_id) if user_id else None
    if user_id and language:
        user = UserRef(CHANNEL, user_id)
        await _take_pending(web, user)
        lines, preview = await web.history.lines(user_id), False
    else:
        language = supported_language(lang) or "en"
        greeting = await web.engine.greeting(UserRef(CHANNEL, "-"), language)
        lines, preview = bot_lines(greeting, web.history.clock()), True
    texts = _texts(web, language)
    ticket = next((line.ticket for line in reversed(lines) if line.ticket), None)
    return page(web, request, "chat.html", frame_ancestors=web.api.settings.web_frame_ancestors, lang=language,
                languages=LANGUAGES, texts=texts, lines=lines, preview=preview, ticket=ticket,
                choices_at=_visible_choices(lines), ist=_ist, unbroken=_unbroken(web), code_unknown=code == "unknown",
                wait_seconds=web.api.settings.web_chat_wait_seconds)


@router.post("/send")
async def send(
    web: Web, request: Request,
    text: Annotated[str, Form(max_length=4000)] = "", choice: Annotated[str, Form(max_length=200)] = "",
    lang: Annotated[str, Form(max_length=10)] = "", photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """One message (typed text, a tapped choice, a photo); answers with the new bubbles, or a refusal the
    page shows in the user's language (nothing is stored for a refused message)."""
    user_id = _user_id(web, request)
    language = (await web.history.language(user_id) if user_id else None)
    new = language is None
    language = language or supported_language(lang) or "en"
    if refusal := await web.api.chat_limits.refusal("message", _client(request)):  # per address and overall
        return _refusal(web, 429, "rate_limited", language, refusal.retry_after_s)
    data, mime = b"", ""
    if photo is not None and photo.filename:
        mime = photo.content_type or "application/octet-stream"
        if kind_of(mime) != "image":
            return _refusal(web, 422, "not_image", language)
        data = await photo.read(web.api.settings.web_chat_photo_max_bytes + 1)
        if len(data) > web.api.settings.web_chat_photo_max_bytes:
            return _refusal(web, 413, "too_large", language)
        if refusal := await web.api.chat_limits.refusal("photo", _client(request)):
            return _refusal(web, 429, "rate_limited", language, refusal.retry_after_s)
    if not (text.strip() or choice or data):
        return _bubbles(web, request, [], language)
    added: list[Line] = []
    if new:
        if refusal := await web.api.chat_limits.refusal("web_conversation", _client(request)):
            return _refusal(web, 429, "rate_limited", language, refusal.retry_after_s)
        user_id = secrets.token_urlsafe(16)
        await web.history.start(user_id, language)
        greeting = await web.engine.handle(Inbound(UserRef(CHANNEL, user_id), text="hi", language_hint=language))
        added += await web.history.add(user_id, bot_lines(greeting, web.history.clock()))
    assert user_id is not None
    user = UserRef(CHANNEL, user_id)
    ref = web.attachments.ref_for(data, mime=mime) if data else None
    attachments = (Attachment(ref, "image", photo.filename or ""),) if ref and photo else ()
    words = text.strip()
    if choice:
        replies = await web.engine.handle(Inbound(user, choice=choice))
    else:
        replies = await web.engine.handle(Inbound(user, text=words, attachments=attachments))
    if replies and replies[0].meta.get(REFUSED):
        response: Response = JSONResponse({"error": "rate_limited", "message": replies[0].text}, status_code=429,
                                          headers={"Retry-After": "60"})
        _keep(web, request, response, user_id)
        return response
    if ref:
        web.attachments.save(data, mime=mime)  # only now: a refused message keeps nothing on disk
    now = web.history.clock()
    mine = Line("me", _label_of(choice, added, await web.history.lines(user_id)) if choice else words, now,
                photo=ref)
    added += await web.history.add(user_id, [mine, *bot_lines(replies, now)])
    added += await _resume_hint(web, request, user_id, language, replies)
    response = _bubbles(web, request, added, language)
    _keep(web, request, response, user_id)
    return response


def _label_of(choice: str, *histories: list[Line]) -> str:
    """What the user tapped, as the button read (the newest bubble offering that choice)."""
    for lines in histories:
        for line in reversed(lines):
            for offered in line.choices:
                if offered.get("id") == choice:
                    return offered.get("label", choice)
    return choice


async def _resume_hint(web: WebContext, request: Request, user_id: str, language: str,
                       replies: list[Reply]) -> list[Line]:
    """After the first filed ticket: the code and link for carrying this conversation to another device."""
    if not any(r.ticket for r in replies):
        return []
    code, made = await web.history.resume_code(user_id)
    if not made:
        return []
    link = str(request.url_for("resume", code=code))
    text = web.catalog.text("web.chat.resume", language, link=link, code=f"{code[:4]}-{code[4:]}")
    return await web.history.add(user_id, [Line("bot", text, web.history.clock())])


@router.post("/language")
async def switch_language(web: Web, request: Request, lang: Annotated[str, Form(max_length=10)]) -> Response:
    """The language buttons: the conversation answers in the new language and the page is drawn in it."""
    code = supported_language(lang)
    if code is None:
        return JSONResponse({"error": "invalid", "message": f"lang: must be one of {', '.join(LANGUAGES)}"},
                            status_code=422)
    user_id = _user_id(web, request)
    if not (user_id and await web.history.language(user_id)):
        return RedirectResponse(f"/web/chat?lang={code}", status_code=303)  # a new visitor: nothing to store
    user = UserRef(CHANNEL, user_id)
    shown = await web.history.lines(user_id)
    await web.engine.handle(Inbound(user, text="language"))
    replies = await web.engine.handle(Inbound(user, choice=code))
    await web.history.set_language(user_id, code)
    added = bot_lines(replies, web.history.clock())
    if added and not any(line.choices for line in added):
        added[-1] = replace(added[-1], choices=_relabelled(web, shown, code))
    await web.history.add(user_id, added)
    return RedirectResponse("/web/chat", status_code=303)


def _relabelled(web: WebContext, lines: list[Line], lang: str) -> tuple[dict[str, str], ...]:
    """The buttons still on screen that name a ticket (a resolution's Fixed / Still not working, the rating,
    the undo), labelled in the new language, so that they stay under the newest bubble and read in it."""
    at = _visible_choices(lines)
    if at is None:
        return ()
    pressed = [ticket_choices.parse(c.get("id")) for c in lines[at].choices]
    if not pressed or any(p is None for p in pressed):
        return ()  # a question's options: the engine asks its question again in the new language

    def text(key: str, **values: object) -> str:
        return web.catalog.text(key, lang, **values)
    return tuple({"id": p.id, "label": ticket_choices.label(p, text)} for p in pressed if p is not None)


@router.get("/continue/{code}", name="resume")
async def resume(web: Web, request: Request, code: str) -> Response:
    """A resume link or a typed code: this browser joins that conversation."""
    if await web.api.chat_limits.refusal("code", _client(request)):
        return RedirectResponse("/web/chat?code=unknown", status_code=303)
    user_id = await web.history.user_of_code(code[:20])
    if user_id is None:
        return RedirectResponse("/web/chat?code=unknown", status_code=303)
    response = RedirectResponse("/web/chat", status_code=303)
    _keep(web, request, response, user_id)
    return response


@router.get("/continue")
async def resume_typed(web: Web, request: Request, code: Annotated[str, Query(max_length=20)] = "") -> Response:
    return await resume(web, request, code or "-")


@router.get("/wait")
async def wait(web: Web, request: Request, after: Annotated[int, Query(ge=0, le=2**62)] = 0,
               hold: Annotated[float, Query(ge=0, le=120)] = 0) -> Response:
    """Long polling: the bubbles after `after` (an operator's reply, a resolution, another tab's messages),
    as soon as there are any, holding the request up to `hold` seconds (at most the configured wait)."""
    user_id = _user_id(web, request)
    if user_id is None:
        return Response(status_code=204)
    user = UserRef(CHANNEL, user_id)
    deadline = time.monotonic() + min(hold, web.api.settings.web_chat_wait_seconds)
    while True:
        await _take_pending(web, user)
        lines = await web.history.lines(user_id, after)
        if lines:
            language = await web.history.language(user_id) or "en"
            return _bubbles(web, request, lines, language)
        if time.monotonic() >= deadline or await request.is_disconnected():
            return Response(status_code=204)
        await asyncio.sleep(_WAIT_STEP_S)


async def _take_pending(web: WebContext, user: UserRef) -> None:
    """Move helpdesk messages waiting in the outbox into this browser's bubbles."""
    if not await web.waiting(user):  # most checks: one indexed read, no write transaction
        return
    replies = await web.engine.pending(user)
    if replies:
        await web.history.add(user.user_id, bot_lines(replies, web.history.clock()))


@router.get("/photo/{ref}")
async def photo_of(web: Web, request: Request, ref: str) -> Response:
    """A photo this browser sent (its bubble's thumbnail and full view); nobody else's."""
    user_id = _user_id(web, request)
    if user_id is None or not await web.history.has_photo(user_id, ref[:80]):
        return JSONResponse({"error": "not_found", "message": "no such photo in this chat"}, status_code=404)
    try:
        path = web.attachments.path(ref)
    except NotFound:
        return JSONResponse({"error": "not_found", "message": "no such photo in this chat"}, status_code=404)
    return FileResponse(path, media_type=web.attachments.mime_of(ref),
                        headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"})
