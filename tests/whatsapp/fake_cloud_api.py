"""A fake WhatsApp Business Cloud API on 127.0.0.1, for the real channel code to talk to over HTTP.

It takes `POST /<version>/<phone number id>/messages` with the bearer token and rejects what Meta rejects,
with Graph-style errors: text over 4,096 characters, more than 3 reply buttons or titles over 20, list
messages over 10 rows (titles 24, descriptions 72, button 20), interactive bodies over 1,024, unknown or
unapproved templates, template parameters with newlines, free-form messages more than 24 hours after the
user's last message (131047), and failures a test asks for (130429, 131056, 131026). It takes media uploads
(`POST /<phone number id>/media`, multipart, the types and sizes Meta allows) for image and document
messages that name an uploaded id, and serves media by id with a download URL that needs the token and
expires after 5 minutes. Toward the helpdesk it plays Meta's
webhook: signed deliveries (X-Hub-Signature-256), retried on non-2xx, batches of several messages,
redeliveries, statuses in any order, and the verification handshake. Time is the test's own clock.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

VERSION = "v21.0"
TOKEN = "EAAG-test-token"  # noqa: S105
PHONE_NUMBER_ID = "109876543210"
WABA_ID = "555000111222"
APP_SECRET = "app-secret-for-tests"  # noqa: S105
WINDOW = timedelta(hours=24)
MEDIA_URL_LIFE = timedelta(minutes=5)
UPLOAD_LIMITS = {"image/jpeg": 5 * 1024 * 1024, "image/png": 5 * 1024 * 1024, "application/pdf": 100 * 1024 * 1024}


class TestClock:
    """The one clock of a test: the fake's message timestamps and the channel's window checks both read it."""

    __test__ = False

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class GraphFailure(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Sent:
    to: str
    message: dict[str, Any]
    id: str


@dataclass
class MediaFile:
    data: bytes
    mime_type: str


@dataclass
class FakeCloudApi:
    clock: TestClock
    approved_templates: set[tuple[str, str]] = field(default_factory=set)
    sent: list[Sent] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    last_inbound: dict[str, datetime] = field(default_factory=dict)
    failures: list[tuple[str, int, int]] = field(default_factory=list)  # (to, http status, code), used once each
    media: dict[str, MediaFile] = field(default_factory=dict)
    downloads: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    uploaded: dict[str, str] = field(default_factory=dict)  # media id -> file name, of the helpdesk's uploads
    fail_next_media: tuple[int, int] | None = None  # (http status, code) for the next image or document message
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    url: str = ""

    # --- what the helpdesk calls -------------------------------------------------------------------------
    def app(self) -> Starlette:
        return Starlette(routes=[
            Route(f"/{VERSION}/{PHONE_NUMBER_ID}/messages", self._messages, methods=["POST"]),
            Route(f"/{VERSION}/{PHONE_NUMBER_ID}/media", self._upload, methods=["POST"]),
            Route(f"/{VERSION}/{PHONE_NUMBER_ID}", self._number, methods=["GET"]),
            Route(f"/{VERSION}/{WABA_ID}/subscribed_apps", self._subscribed, methods=["GET"]),
            Route(f"/{VERSION}/{WABA_ID}/message_templates", self._templates, methods=["GET"]),
            Route("/download/{key}", self._download, methods=["GET"]),
            Route(f"/{VERSION}/{{media_id}}", self._media, methods=["GET"]),
        ])

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {TOKEN}"

    @staticmethod
    def _error(status: int, code: int, message: str) -> JSONResponse:
        return JSONResponse({"error": {"message": message, "type": "OAuthException", "code": code,
                                       "error_data": {"messaging_product": "whatsapp", "details": message},
                                       "fbtrace_id": "Afake"}}, status_code=status)

    async def _messages(self, request: Request) -> Response:
        self.calls.append("messages")
        if not self._authorised(request):
            return self._error(401, 190, "Invalid OAuth access token")
        body = await request.json()
        try:
            self._check(body)
        except GraphFailure as failure:
            return self._error(failure.status, failure.code, failure.message)
        message_id = f"wamid.fake{next(self._ids)}"
        message = {k: v for k, v in body.items() if k not in {"messaging_product", "recipient_type", "to"}}
        self.sent.append(Sent(str(body["to"]), message, message_id))
        return JSONResponse({"messaging_product": "whatsapp", "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                             "messages": [{"id": message_id}]})

    def _check(self, body: dict[str, Any]) -> None:
        if body.get("messaging_product") != "whatsapp" or not body.get("to"):
            raise GraphFailure(400, 100, "(#100) messaging_product and to are required")
        to = str(body["to"])
        for index, (who, status, code) in enumerate(self.failures):
            if who == to:
                del self.failures[index]
                raise GraphFailure(status, code, f"failure {code} asked for by the test")
        kind = body.get("type")
        if kind == "text":
            text = body.get("text", {}).get("body", "")
            if not text or len(text) > 4096:
                raise GraphFailure(400, 100, "(#100) text.body must be 1-4096 characters")
        elif kind == "interactive":
            self._check_interactive(body["interactive"])
        elif kind == "template":
            self._check_template(body["template"])
            return  # templates may go outside the window
        elif kind in ("image", "document"):
            if self.fail_next_media is not None:
                (status, code), self.fail_next_media = self.fail_next_media, None
                raise GraphFailure(status, code, f"failure {code} asked for by the test")
            media_id = str(body.get(kind, {}).get("id", ""))
            if media_id not in self.uploaded:
                raise GraphFailure(400, 131053, f"(#131053) Media upload error: unknown media id {media_id!r}")
            if kind == "image" and not self.media[media_id].mime_type.startswith("image/"):
                raise GraphFailure(400, 131053, "(#131053) an image message needs an image")
        else:
            raise GraphFailure(400, 100, f"(#100) unsupported type {kind!r}")
        last = self.last_inbound.get(to)
        if last is None or self.clock() - last >= WINDOW:
            raise GraphFailure(400, 131047, "Re-engagement message: more than 24 hours since the customer replied")

    @staticmethod
    def _check_interactive(interactive: dict[str, Any]) -> None:
        body = interactive.get("body", {}).get("text", "")
        if not body or len(body) > 1024:
            raise GraphFailure(400, 131009, "(#131009) interactive body must be 1-1024 characters")
        action = interactive.get("action", {})
        if interactive.get("type") == "button":
            buttons = action.get("buttons", [])
            titles = [b["reply"]["title"] for b in buttons]
            unique = len(set(titles)) == len(titles)
            if not 1 <= len(buttons) <= 3 or any(not 1 <= len(t) <= 20 for t in titles) or not unique:
                raise GraphFailure(400, 131009, "(#131009) buttons: 1-3, titles 1-20 characters, unique")
        elif interactive.get("type") == "list":
            rows = [r for s in action.get("sections", []) for r in s.get("rows", [])]
            if not 1 <= len(rows) <= 10 or not 1 <= len(action.get("button", "")) <= 20:
                raise GraphFailure(400, 131009, "(#131009) list: 1-10 rows and a button of 1-20 characters")
            for row in rows:
                if not 1 <= len(row["title"]) <= 24 or len(row.get("description", "")) > 72 or len(row["id"]) > 200:
                    raise GraphFailure(400, 131009, "(#131009) row title 1-24, description up to 72 characters")
        else:
            raise GraphFailure(400, 131009, "(#131009) unsupported interactive type")

    def _check_template(self, template: dict[str, Any]) -> None:
        key = (template.get("name"), template.get("language", {}).get("code"))
        if key not in self.approved_templates:
            raise GraphFailure(404, 132001, f"(#132001) Template name does not exist in the translation: {key}")
        for component in template.get("components", []):
            for parameter in component.get("parameters", []):
                text = parameter.get("text", "")
                if "\n" in text or "\t" in text or "     " in text:
                    raise GraphFailure(400, 132000, "(#132000) parameter has new-line, tab or 5+ spaces")

    async def _upload(self, request: Request) -> Response:
        self.calls.append("upload")
        if not self._authorised(request):
            return self._error(401, 190, "Invalid OAuth access token")
        form = await request.form()
        file, kind = form.get("file"), str(form.get("type", ""))
        if form.get("messaging_product") != "whatsapp" or file is None or isinstance(file, str):
            return self._error(400, 100, "(#100) messaging_product, type and file are required")
        data = await file.read()
        if kind not in UPLOAD_LIMITS or file.content_type != kind:
            return self._error(400, 131053, f"(#131053) Media upload error: type {kind!r} is not supported")
        if not data or len(data) > UPLOAD_LIMITS[kind]:
            return self._error(400, 131053, "(#131053) Media upload error: file size is over the limit")
        media_id = f"upload{next(self._ids)}"
        self.media[media_id] = MediaFile(data, kind)
        self.uploaded[media_id] = str(file.filename or "")
        return JSONResponse({"id": media_id})

    async def _number(self, request: Request) -> Response:
        self.calls.append("number")
        if not self._authorised(request):
            return self._error(401, 190, "Invalid OAuth access token")
        return JSONResponse({"display_phone_number": "+91 674 000 0000", "verified_name": "MUKTA Helpdesk",
                             "id": PHONE_NUMBER_ID})

    async def _subscribed(self, request: Request) -> Response:
        return JSONResponse({"data": [{"whatsapp_business_api_data": {"id": "1", "name": "helpdesk"}}]})

    async def _templates(self, request: Request) -> Response:
        return JSONResponse({"data": [{"name": n, "language": code, "status": "APPROVED", "category": "UTILITY"}
                                      for n, code in sorted(self.approved_templates)]})

    async def _media(self, request: Request) -> Response:
        self.calls.append("media")
        media_id = request.path_params["media_id"]
        if not self._authorised(request):
            return self._error(401, 190, "Invalid OAuth access token")
        if media_id not in self.media:
            return self._error(404, 100, "(#100) unknown media id")
        key = f"k{next(self._ids)}"
        self.downloads[key] = (media_id, self.clock() + MEDIA_URL_LIFE)
        file = self.media[media_id]
        return JSONResponse({"url": f"{self.url}/download/{key}", "mime_type": file.mime_type,
                             "file_size": len(file.data), "id": media_id, "messaging_product": "whatsapp"})

    async def _download(self, request: Request) -> Response:
        self.calls.append("download")
        found = self.downloads.get(request.path_params["key"])
        if not self._authorised(request) or found is None or self.clock() > found[1]:
            return Response(status_code=404)
        file = self.media[found[0]]
        return Response(file.data, media_type=file.mime_type)

    # --- what the test does as a user, through Meta's webhook ----------------------------------------------
    def _value(self, messages: list[dict[str, Any]] = (), statuses: list[dict[str, Any]] = (),  # type: ignore[assignment]
               phone_number_id: str = PHONE_NUMBER_ID) -> dict[str, Any]:
        contacts = [{"profile": {"name": f"User {m['from'][-4:]}"}, "wa_id": m["from"]} for m in messages]
        value = {"messaging_product": "whatsapp",
                 "metadata": {"display_phone_number": "916740000000", "phone_number_id": phone_number_id},
                 "contacts": contacts, "messages": list(messages), "statuses": list(statuses)}
        return {"object": "whatsapp_business_account",
                "entry": [{"id": WABA_ID, "changes": [{"field": "messages", "value": value}]}]}

    def message(self, wa_id: str, **content: Any) -> dict[str, Any]:
        """A user's message as the webhook carries it; the user's 24-hour window opens now."""
        self.last_inbound[wa_id] = self.clock()
        return {"from": wa_id, "id": f"wamid.in{next(self._ids)}",
                "timestamp": str(int(self.clock().timestamp())), **content}

    def text(self, wa_id: str, body: str) -> dict[str, Any]:
        return self.message(wa_id, type="text", text={"body": body})

    def tap(self, wa_id: str, words: str) -> dict[str, Any]:
        """The user taps the button or list row, in the last interactive message sent to them, that has `words`."""
        interactive = next(s.message["interactive"] for s in reversed(self.sent)
                           if s.to == wa_id and s.message.get("type") == "interactive")
        if interactive["type"] == "button":
            options = [(b["reply"]["id"], b["reply"]["title"]) for b in interactive["action"]["buttons"]]
        else:
            options = [(r["id"], r["title"] + " " + r.get("description", ""))
                       for s in interactive["action"]["sections"] for r in s["rows"]]
        matches = [(i, t) for i, t in options if words.lower() in t.lower()]
        assert matches, f"no option like {words!r} in {[t for _, t in options]}"
        picked_id, title = matches[0]
        kind = "button_reply" if interactive["type"] == "button" else "list_reply"
        return self.message(wa_id, type="interactive",
                            interactive={"type": kind, kind: {"id": picked_id, "title": title.strip()[:24]}})

    def photo(self, wa_id: str, data: bytes, caption: str = "") -> dict[str, Any]:
        media_id = f"media{next(self._ids)}"
        self.media[media_id] = MediaFile(data, "image/jpeg")
        image: dict[str, Any] = {"id": media_id, "mime_type": "image/jpeg", "sha256": hashlib.sha256(data).hexdigest()}
        if caption:
            image["caption"] = caption
        return self.message(wa_id, type="image", image=image)

    def status(self, message_id: str, wa_id: str, status: str, code: int | None = None) -> dict[str, Any]:
        """A status of a message the helpdesk sent; a failure carries Meta's error `code`."""
        found: dict[str, Any] = {"id": message_id, "status": status,
                                 "timestamp": str(int(self.clock().timestamp())),
                                 "recipient_id": wa_id}
        if code is not None:
            found["errors"] = [{"code": code, "title": "Message undeliverable",
                                "error_data": {"details": "Message Undeliverable."}}]
        return found

    def delivery(self, messages: list[dict[str, Any]] = (), statuses: list[dict[str, Any]] = (),  # type: ignore[assignment]
                 phone_number_id: str = PHONE_NUMBER_ID) -> bytes:
        return json.dumps(self._value(messages, statuses, phone_number_id)).encode()

    @staticmethod
    def sign(body: bytes, secret: str = APP_SECRET) -> str:
        return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()

    async def push(self, client: httpx.AsyncClient, body: bytes, *, tries: int = 3,
                   signature: str | None = None) -> list[int]:
        """POST a delivery to the helpdesk's webhook as Meta does, again after a non-2xx; the statuses seen."""
        seen = []
        for _ in range(tries):
            signed = self.sign(body) if signature is None else signature
            answer = await client.post("/whatsapp/webhook", content=body, headers={
                "Content-Type": "application/json", "X-Hub-Signature-256": signed})
            seen.append(answer.status_code)
            if answer.is_success:
                break
        return seen

    def texts_to(self, wa_id: str) -> list[str]:
        """What the user saw, as text: message bodies, interactive bodies and their options, templates."""
        shown = []
        for sent in self.sent:
            if sent.to != wa_id:
                continue
            message = sent.message
            if message["type"] == "text":
                shown.append(message["text"]["body"])
            elif message["type"] == "interactive":
                shown.append(message["interactive"]["body"]["text"])
            elif message["type"] in ("image", "document"):
                shown.append(f"[{message['type']} {self.uploaded[message[message['type']]['id']]}]")
            else:
                shown.append(f"[template {message['template']['name']}] "
                             + message["template"]["components"][0]["parameters"][0]["text"])
        return shown

    @contextmanager
    def running(self) -> Iterator[FakeCloudApi]:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        server = uvicorn.Server(uvicorn.Config(self.app(), host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "the fake Cloud API did not start"
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{port}"
        try:
            yield self
        finally:
            server.should_exit = True
            thread.join(timeout=30)


def start_of_test() -> datetime:
    return datetime(2026, 12, 2, 5, 0, tzinfo=UTC)  # 10:30 IST, a Wednesday
