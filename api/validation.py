"""The one input check every route gets before anything else (installed on the app with the access guard):
path and query values, JSON bodies and form fields must be storable text (core.inputs), and JSON must not
nest deeper than core.inputs.MAX_DEPTH. Routes that must acknowledge whatever a provider sends (the
Telegram webhook) read their own bodies and are listed in `OWN_BODY`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Request
from pydantic import AfterValidator
from starlette.datastructures import UploadFile

from core.inputs import checked_day, checked_text, loads
from tickets.attachments import AttachmentStore, OutgoingFile, TooLarge, keep_outgoing

# answer 200 to a malformed delivery (after checking its signature), so the provider moves on
OWN_BODY = frozenset({"/telegram/webhook", "/whatsapp/webhook"})


def _path(request: Request) -> str:
    return str(getattr(request.scope.get("route"), "path", request.url.path))


async def clean_input(request: Request) -> None:
    """422 for text that cannot be stored or JSON nested too deeply, wherever in the request it comes."""
    for name, value in request.path_params.items():
        checked_text(str(value), f"path.{name}")
    for name, value in request.query_params.multi_items():
        checked_text(name, "query")
        checked_text(value, f"query.{name}")
    if _path(request) in OWN_BODY or request.method in ("GET", "HEAD"):
        return
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        body = await request.body()
        if body:
            loads(body)
    elif kind in ("application/x-www-form-urlencoded", "multipart/form-data"):  # parsed once, cached for routes
        for name, value in (await request.form()).multi_items():
            if not isinstance(value, UploadFile):
                checked_text(value, f"form.{name}")


def _day(value: date) -> date:
    return checked_day(value, "date")


# A calendar day in a query: in years the calendar code can add a day to (year 1 would overflow)
Day = Annotated[date, AfterValidator(_day)]


async def kept_upload(store: AttachmentStore, upload: UploadFile | None) -> tuple[OutgoingFile, ...]:
    """An operator's file sent with a reply (form field or API upload), checked and kept; none when the
    field was left empty. Read no further than the store's limit."""
    if upload is None or not upload.filename:
        return ()
    data = await upload.read(store.max_bytes + 1)
    if len(data) > store.max_bytes:
        raise TooLarge(None, store.max_bytes)
    return (keep_outgoing(store, data, upload.filename),) if data else ()
