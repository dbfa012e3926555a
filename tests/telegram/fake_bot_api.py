"""A fake Telegram Bot API on 127.0.0.1 for the real python-telegram-bot stack to talk to.

It keeps chats, long-polls `getUpdates` (honouring `offset` and `timeout`; 409 while a webhook is set),
posts updates to a webhook set with `setWebhook` (with its secret in `X-Telegram-Bot-Api-Secret-Token`),
serves files through `getFile` and `/file/bot<token>/<path>`, and rejects what Telegram rejects: text over
4,096 UTF-16 units, callback data over 64 bytes, malformed markup, files over 20 MB, unknown methods (400,
not 404: the library reads 404 as a bad token). Tests inject user messages, photos and button presses, read
what the bot sent to each chat, count the calls, and can make a chat answer 429 or 403.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.clock import FixedClock

TEXT_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
DOWNLOAD_LIMIT = 20 * 1024 * 1024
SECRET_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
CHAT_ACTIONS = frozenset({"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
                          "upload_document", "choose_sticker", "find_location", "record_video_note",
                          "upload_video_note"})
BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Helpdesk", "username": "muktasoft_helpdesk_bot"}


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Failure:
    method: str
    chat_id: int
    code: int
    retry_after: int | None
    times: int


@dataclass
class State:
    updates: list[dict[str, Any]] = field(default_factory=list)
    confirmed: int = 0  # update ids below this were confirmed by an offset
    next_update: int = 1000
    next_message: int = 1
    sent: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)
    pressed: list[str] = field(default_factory=list)
    webhook_url: str = ""
    webhook_secret: str = ""
    files: dict[str, tuple[bytes, int]] = field(default_factory=dict)  # file id -> (bytes, reported size)
    commands: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # language code ("" default)
    topics: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)  # (chat, thread) -> topic


def _params(body: bytes, content_type: str) -> dict[str, Any]:
    if content_type.startswith("application/json"):
        return dict(json.loads(body or b"{}"))
    return {k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}


def _json_param(params: dict[str, Any], name: str) -> Any:
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as err:
            raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from err
    return value


def _check_markup(markup: Any) -> None:
    if markup is None:
        return
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for button in (b for row in rows for b in row):
        if not isinstance(button, dict) or not button.get("text"):
            raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


class FakeBotApi:
    """The server and the test's handle on it; every method is safe to call from the test's thread."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self._clock = clock or FixedClock()  # the `date` Telegram stamps on messages
        self._lock = threading.Lock()
        self._state = State()
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._last_call = 0.0
        self._methods: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": lambda p: BOT_USER, "deleteWebhook": self._delete_webhook, "setWebhook": self._set_webhook,
            "setMyCommands": self._set_my_commands, "sendChatAction": self._send_chat_action,
            "sendMessage": self._send_message, "answerCallbackQuery": self._answer_callback,
            "editMessageText": self._edit_message_text, "getFile": self._get_file,
            "createForumTopic": self._create_topic, "closeForumTopic": self._close_topic,
            "sendPhoto": lambda p: self._send_file(p, "photo"),
            "sendDocument": lambda p: self._send_file(p, "document"),
        }

    def _date(self) -> int:
        return int(self._clock().timestamp())

    # -- test API ---------------------------------------------------------------------------------------
    def user_says(self, chat_id: int, text: str, language_code: str = "en") -> int:
        """Queue a private text message from user `chat_id`; returns its update id."""
        return self.inject(self.text_update(chat_id, text, language_code))

    def user_presses(self, chat_id: int, label_words: str, language_code: str = "en") -> int:
        """Queue a press of the button containing `label_words` on the bot's last keyboard in the chat."""
        return self.inject(self.press_update(chat_id, label_words, language_code))

    def add_file(self, data: bytes, size: int | None = None) -> str:
        """Keep a file users can send; `size` is what Telegram reports (to claim a large file cheaply)."""
        with self._lock:
            file_id = f"file-{self._new_message_id()}"
            self._state.files[file_id] = (data, len(data) if size is None else size)
            return file_id

    def photo_update(self, chat_id: int, file_id: str, caption: str = "", language_code: str = "en") -> dict[str, Any]:
        """A private photo message (Telegram sends several sizes, largest last)."""
        with self._lock:
            size = self._state.files[file_id][1]
            thumb = {"file_id": f"{file_id}-thumb", "file_unique_id": "t", "width": 90, "height": 60, "file_size": 900}
            full = {"file_id": file_id, "file_unique_id": file_id, "width": 1280, "height": 720, "file_size": size}
            sizes = [thumb, full]
            message: dict[str, Any] = {"message_id": self._new_message_id(), "date": self._date(),
                                       "photo": sizes, "chat": {"id": chat_id, "type": "private"},
                                       "from": self._user(chat_id, language_code)}
            if caption:
                message["caption"] = caption
            return {"message": message}

    def group_update(self, chat_id: int, thread_id: int, from_id: int, text: str) -> dict[str, Any]:
        """A message someone wrote in a forum topic of supergroup `chat_id`."""
        with self._lock:
            message = {"message_id": self._new_message_id(), "date": self._date(), "text": text,
                       "chat": {"id": chat_id, "type": "supergroup", "title": "Helpdesk operators", "is_forum": True},
                       "message_thread_id": thread_id, "is_topic_message": True,
                       "from": {"id": from_id, "is_bot": False, "first_name": "Priya"}}
            if text.startswith("/"):
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
            return {"message": message}

    def topics(self, chat_id: int) -> dict[int, dict[str, Any]]:
        """The forum topics of a supergroup by thread id: name, closed, and the messages in each."""
        with self._lock:
            return {t: dict(topic) for (c, t), topic in self._state.topics.items() if c == chat_id}

    def webhook(self) -> tuple[str, str]:
        """The webhook's URL and secret, as the bot set them ("" if none)."""
        with self._lock:
            return self._state.webhook_url, self._state.webhook_secret

    def commands(self) -> dict[str, list[dict[str, str]]]:
        """The command menus the bot set, by language code ("" for the default)."""
        with self._lock:
            return dict(self._state.commands)

    def post_update(self, update: dict[str, Any], secret: str | None = None) -> int:
        """POST an update (with its id) to the webhook as Telegram does; returns the HTTP status."""
        url, registered = self.webhook()
        assert url, "no webhook is set"
        headers = {"X-Telegram-Bot-Api-Secret-Token": registered if secret is None else secret}
        return httpx.post(url, json=update, headers=headers, timeout=30).status_code

    def text_update(self, chat_id: int, text: str, language_code: str = "en") -> dict[str, Any]:
        """A private text message from user `chat_id`, as an update without its id."""
        with self._lock:
            message = {"message_id": self._new_message_id(), "date": self._date(), "text": text,
                       "chat": {"id": chat_id, "type": "private"}, "from": self._user(chat_id, language_code)}
            if text.startswith("/"):
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
            return {"message": message}

    def press_update(self, chat_id: int, label_words: str, language_code: str = "en") -> dict[str, Any]:
        """A press of the button containing `label_words` on the last message the bot sent with a keyboard."""
        with self._lock:
            message = next(m for m in reversed(self._state.sent.get(chat_id, [])) if m.get("reply_markup"))
            buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
            button = next((b for b in buttons if label_words.lower() in b["text"].lower()), None)
            assert button, f"no button like {label_words!r} in {[b['text'] for b in buttons]}"
            self._state.pressed.append(f"q{self._new_message_id()}")
            query = {"id": self._state.pressed[-1], "chat_instance": str(chat_id),
                     "from": self._user(chat_id, language_code), "message": message,
                     "data": button["callback_data"]}
            return {"callback_query": query}

    def inject(self, update: dict[str, Any]) -> int:
        """Deliver any update (an id is added): queued for getUpdates, or posted to the webhook if one is set
        (which must answer 200)."""
        with self._lock:
            update_id = self._queue(update)
            if not self._state.webhook_url:
                return update_id
            stored = self._state.updates.pop()
        status = self.post_update(stored)
        assert status == 200, f"the webhook answered {status} to update {update_id}"
        return update_id

    def sent(self, chat_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._state.sent.get(chat_id, []))

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._state.calls if method is None or c.method == method]

    def answered(self) -> list[str]:
        """Ids of the callback queries the bot answered."""
        with self._lock:
            return list(self._state.answered)

    def pressed(self) -> list[str]:
        """Ids of the callback queries made by `user_presses` / `press_update`."""
        with self._lock:
            return list(self._state.pressed)

    def fail(self, method: str, chat_id: int, code: int, retry_after: int | None = None, times: int = 1) -> None:
        """Answer the next `times` calls of `method` for `chat_id` with error `code` (429, 403...)."""
        with self._lock:
            self._state.failures.append(Failure(method, chat_id, code, retry_after, times))

    def wait_for_replies(self, chat_id: int, after: int, quiet_s: float = 0.5, timeout_s: float = 30) -> list[str]:
        """Texts the bot sent to the chat after the first `after`, once it has said something and gone quiet."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                quiet = time.monotonic() - self._last_call >= quiet_s
            if quiet and len(self.sent(chat_id)) > after:
                return [m["text"] for m in self.sent(chat_id)[after:]]
            time.sleep(0.05)
        raise AssertionError(f"the bot said nothing new to chat {chat_id} in {timeout_s} s")

    # -- server -----------------------------------------------------------------------------------------
    @contextmanager
    def running(self) -> Iterator[FakeBotApi]:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        app = Starlette(routes=[Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
                                Route("/file/bot{token}/{path:path}", self._file, methods=["GET"])])
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=self._server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{port}"
        try:
            yield self
        finally:
            self._server.should_exit = True
            thread.join(timeout=10)

    async def _endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):  # a file upload: (bytes, file name) for each file
            form = await request.form()
            params = {k: (await v.read(), v.filename) if isinstance(v, UploadFile) else v for k, v in form.items()}
        else:
            params = _params(await request.body(), content_type)
        with self._lock:
            self._state.calls.append(Call(method, params))
            if method != "getUpdates":  # a long poll is waiting, not the bot doing something
                self._last_call = time.monotonic()
        try:
            if method == "getUpdates":
                result = await self._get_updates(params)
            else:
                handler = self._methods.get(method)
                if handler is None:
                    raise ApiError(400, f"Bad Request: method {method} is not supported by this fake")
                with self._lock:
                    self._maybe_fail(method, params)
                    result = handler(params)
        except ApiError as err:
            body: dict[str, Any] = {"ok": False, "error_code": err.code, "description": err.description}
            if err.retry_after is not None:
                body["parameters"] = {"retry_after": err.retry_after}
            return JSONResponse(body, status_code=err.code)
        return JSONResponse({"ok": True, "result": result})

    async def _file(self, request: Request) -> Response:
        file_id = request.path_params["path"].rsplit("/", 1)[-1].split(".", 1)[0]
        with self._lock:
            found = self._state.files.get(file_id)
        if found is None:
            return Response(status_code=404)
        return Response(found[0], media_type="application/octet-stream")

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self._lock:
            if self._state.webhook_url:
                raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                    "use deleteWebhook to delete the webhook first")
        offset, timeout = int(params.get("offset") or 0), float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if offset:
                    self._state.confirmed = max(self._state.confirmed, offset)
                    self._state.updates = [u for u in self._state.updates if u["update_id"] >= offset]
                closing = self._server is not None and self._server.should_exit
                if self._state.updates or time.monotonic() >= deadline or closing:
                    return list(self._state.updates[: int(params.get("limit") or 100)])
            await asyncio.sleep(0.02)

    # -- methods (called with the lock held) -----------------------------------------------------------
    def _maybe_fail(self, method: str, params: dict[str, Any]) -> None:
        chat_id = int(params.get("chat_id") or 0)
        for failure in self._state.failures:
            if failure.method == method and failure.chat_id == chat_id and failure.times > 0:
                failure.times -= 1
                if failure.code == 429:
                    raise ApiError(429, f"Too Many Requests: retry after {failure.retry_after}",
                                   failure.retry_after)
                raise ApiError(failure.code, "Forbidden: bot was blocked by the user")

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        text, chat_id = str(params.get("text") or ""), int(params.get("chat_id") or 0)
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > TEXT_LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        if params.get("parse_mode"):
            raise ApiError(400, "Bad Request: this fake expects plain text (no parse mode)")
        markup = _json_param(params, "reply_markup")
        _check_markup(markup)
        thread = int(params.get("message_thread_id") or 0)
        topic = self._topic(chat_id, thread) if thread else None
        message: dict[str, Any] = {"message_id": self._new_message_id(), "date": self._date(), "text": text,
                                   "chat": {"id": chat_id, "type": "supergroup" if chat_id < 0 else "private"},
                                   "from": BOT_USER}
        if markup:
            message["reply_markup"] = markup
        if topic is not None:
            if topic["closed"]:
                raise ApiError(400, "Bad Request: TOPIC_CLOSED")
            message["message_thread_id"] = thread
            topic["messages"].append(text)
        self._state.sent.setdefault(chat_id, []).append(message)
        return message

    def _send_file(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        """sendPhoto / sendDocument with an uploaded file (photos up to 10 MB, documents 50 MB, as Telegram)."""
        upload, chat_id = params.get(kind), int(params.get("chat_id") or 0)
        if not isinstance(upload, tuple) or not upload[0]:
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        data, name = upload
        if len(data) > (10 if kind == "photo" else 50) * 1024 * 1024:
            raise ApiError(400, "Bad Request: file is too big")
        file_id = f"sent-{self._new_message_id()}"
        self._state.files[file_id] = (data, len(data))
        described = {"file_id": file_id, "file_unique_id": file_id, "file_size": len(data)}
        message: dict[str, Any] = {"message_id": self._new_message_id(), "date": self._date(),
                                   "chat": {"id": chat_id, "type": "private"}, "from": BOT_USER,
                                   kind: [{**described, "width": 1, "height": 1}] if kind == "photo"
                                   else {**described, "file_name": name}}
        self._state.sent.setdefault(chat_id, []).append(message)
        return message

    def file_bytes(self, file_id: str) -> bytes:
        with self._lock:
            return self._state.files[file_id][0]

    def _answer_callback(self, params: dict[str, Any]) -> bool:
        self._state.answered.append(str(params.get("callback_query_id")))
        return True

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, message_id = int(params.get("chat_id") or 0), int(params.get("message_id") or 0)
        message = next((m for m in self._state.sent.get(chat_id, []) if m["message_id"] == message_id), None)
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message["text"] == params.get("text"):
            raise ApiError(400, "Bad Request: message is not modified")
        message["text"] = str(params.get("text"))
        return message

    def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id"))
        if file_id not in self._state.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        size = self._state.files[file_id][1]
        if size > DOWNLOAD_LIMIT:
            raise ApiError(400, "Bad Request: file is too big")
        return {"file_id": file_id, "file_unique_id": file_id, "file_size": size,
                "file_path": f"photos/{file_id}.jpg"}

    def _topic(self, chat_id: int, thread: int) -> dict[str, Any]:
        topic = self._state.topics.get((chat_id, thread))
        if topic is None:
            raise ApiError(400, "Bad Request: message thread not found")
        return topic

    def _create_topic(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, name = int(params.get("chat_id") or 0), str(params.get("name") or "")
        if chat_id >= 0:
            raise ApiError(400, "Bad Request: the chat is not a forum")
        if not 1 <= len(name) <= 128:
            raise ApiError(400, "Bad Request: TOPIC_TITLE_EMPTY" if not name else "Bad Request: topic name too long")
        thread = self._new_message_id()
        self._state.topics[(chat_id, thread)] = {"name": name, "closed": False, "messages": []}
        return {"message_thread_id": thread, "name": name, "icon_color": 7322096}

    def _close_topic(self, params: dict[str, Any]) -> bool:
        topic = self._topic(int(params.get("chat_id") or 0), int(params.get("message_thread_id") or 0))
        if topic["closed"]:
            raise ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic["closed"] = True
        return True

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url, secret = str(params.get("url") or ""), str(params.get("secret_token") or "")
        if not url.startswith("https://") and not url.startswith("http://127.0.0.1:"):  # 127.0.0.1: tests only
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        if secret and (len(secret) > 256 or not set(secret) <= SECRET_CHARS):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self._state.webhook_url, self._state.webhook_secret = url, secret
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self._state.webhook_url = self._state.webhook_secret = ""
        return True

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = _json_param(params, "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            name, text = str(command.get("command", "")), str(command.get("description", ""))
            if not (1 <= len(name) <= 32 and name.islower() and name.replace("_", "").isalnum()):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(text) <= 256:
                raise ApiError(400, "Bad Request: command description is invalid")
        self._state.commands[str(params.get("language_code") or "")] = commands
        return True

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        if params.get("action") not in CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _new_message_id(self) -> int:
        self._state.next_message += 1
        return self._state.next_message

    def _queue(self, update: dict[str, Any]) -> int:
        self._state.next_update += 1
        update = {"update_id": self._state.next_update, **update}
        self._state.updates.append(update)
        return self._state.next_update

    @staticmethod
    def _user(chat_id: int, language_code: str) -> dict[str, Any]:
        return {"id": chat_id, "is_bot": False, "first_name": "Asha", "language_code": language_code}
