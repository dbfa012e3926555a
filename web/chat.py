"""The users' web chat: a page that talks to the conversation engine and polls for helpdesk messages.

Each browser gets a random user id, signed so nobody can pick someone else's; it travels in the page
(hidden field and poll URL) rather than a cookie, so the chat also works inside another site's iframe.
"""

# No `from __future__ import annotations`: FastAPI must see the closures' annotations as objects.
import logging
import secrets
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse
from itsdangerous import BadSignature
from sqlalchemy import select

from core.i18n import LANGUAGES, supported_language
from core.messages import Attachment, Inbound, Reply, UserRef
from tickets.attachments import TooLarge, kind_of
from tickets.models import OutboxRow
from web.context import Web, WebContext
from web.render import page

log = logging.getLogger(__name__)
CHANNEL = "web"
_SALT = "web-chat"

router = APIRouter(prefix="/web/chat", include_in_schema=False)


def _user(web: WebContext, sid: str) -> UserRef:
    try:
        return UserRef(CHANNEL, str(web.signer.loads(sid, salt=_SALT)))
    except BadSignature as err:
        raise HTTPException(403, "this chat session is not valid: reload the page") from err


def _texts(web: WebContext, lang: str) -> dict[str, str]:
    keys = ("web.chat.title", "web.chat.placeholder", "web.chat.send", "web.chat.photo", "web.chat.ticket",
            "web.chat.language")
    return {k.rsplit(".", 1)[1]: web.catalog.text(k, lang) for k in keys}


def _bubbles(web: WebContext, request: Request, sid: str, replies: list[Reply], mine: str | None = None,
             photo: str | None = None, lang: str | None = None) -> HTMLResponse:
    """New bubbles for the log; after a language switch also the switch itself, showing the new language."""
    texts = _texts(web, lang) if lang else None
    return page(web, request, "chat_bubbles.html", frame_ancestors=web.api.settings.web_frame_ancestors,
                sid=sid, replies=replies, mine=mine, photo=photo, lang=lang, switched=lang is not None, texts=texts)


@router.get("")
async def chat_page(web: Web, request: Request, lang: Annotated[str, Query(max_length=10)] = "en") -> HTMLResponse:
    """A new conversation, greeted in the language the page was opened with."""
    language = supported_language(lang) or "en"
    sid = web.signer.dumps(secrets.token_urlsafe(16), salt=_SALT)
    replies = await web.engine.handle(Inbound(_user(web, sid), text="hi", language_hint=language))
    return page(web, request, "chat.html", frame_ancestors=web.api.settings.web_frame_ancestors, sid=sid,
                lang=language, languages=LANGUAGES, texts=_texts(web, language), replies=replies)


@router.post("/send")
async def send(
    web: Web, request: Request, sid: Annotated[str, Form()],
    text: Annotated[str, Form(max_length=4000)] = "", choice: Annotated[str, Form(max_length=200)] = "",
    lang: Annotated[str, Form(max_length=10)] = "", label: Annotated[str, Form(max_length=200)] = "",
    photo: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    """One message (typed text, a tapped choice, a photo, or a language switch); answers with bubbles."""
    user = _user(web, sid)
    if lang:
        code = supported_language(lang)
        if code is None:
            raise HTTPException(422, f"lang: must be one of {', '.join(LANGUAGES)}")
        await web.engine.handle(Inbound(user, text="language"))
        return _bubbles(web, request, sid, await web.engine.handle(Inbound(user, choice=code)), lang=code)
    attachments: tuple[Attachment, ...] = ()
    if photo is not None and photo.filename:
        attachments = (await _store_photo(web, photo),)
        text = text.strip() or photo.filename
    if choice:
        replies = await web.engine.handle(Inbound(user, choice=choice))
        return _bubbles(web, request, sid, replies, mine=label or None)
    if not text.strip():
        return _bubbles(web, request, sid, [])
    replies = await web.engine.handle(Inbound(user, text=text, attachments=attachments))
    return _bubbles(web, request, sid, replies, mine=text, photo=attachments[0].name if attachments else None)


async def _store_photo(web: WebContext, photo: UploadFile) -> Attachment:
    mime = photo.content_type or "application/octet-stream"
    if kind_of(mime) != "image":
        raise HTTPException(422, f"photo: expected an image, not {mime}")
    data = await photo.read(web.attachments.max_bytes + 1)
    try:
        stored = web.attachments.save(data, mime=mime)
    except TooLarge as err:
        raise HTTPException(413, f"photo: {err}") from err
    return Attachment(stored.ref, "image", photo.filename or "")


@router.get("/poll")
async def poll(web: Web, request: Request, sid: Annotated[str, Query(max_length=300)]) -> HTMLResponse:
    """Helpdesk messages waiting for this user (an operator's reply, a resolution), as bubbles."""
    user = _user(web, sid)
    if not await _anything_waiting(web, user):  # most polls: one indexed read, no write transaction
        return _bubbles(web, request, sid, [])
    return _bubbles(web, request, sid, await web.engine.pending(user))


async def _anything_waiting(web: WebContext, user: UserRef) -> bool:
    query = select(OutboxRow.id).where(OutboxRow.channel == user.channel, OutboxRow.user_id == user.user_id,
                                       OutboxRow.delivered_at.is_(None)).limit(1)
    async with web.api.sessions() as s:
        return await s.scalar(query) is not None

