"""The JSON message format shared by `helpdesk chat --json` and the HTTP chat route.

In: `{"user": "u1", "text": "..."}` or `{"user": "u1", "choice": "<choice id>"}`, optionally `"id"` (a
message id; a repeated one is ignored). Out: `{"replies": [...], "state": "...", "ticket": number | null}`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from core.messages import Inbound, Reply, UserRef


class BadMessage(ValueError):
    """An inbound message that does not follow the format; the text names the field that is wrong."""


def parse_message(data: object, channel: str, user_prefix: str = "") -> Inbound:
    """A decoded JSON message as an `Inbound`; `user_prefix` namespaces users (one integration per key)."""
    if not isinstance(data, dict):
        raise BadMessage('expected a JSON object like {"user": "u1", "text": "hello"}')
    unknown = sorted(set(data) - {"user", "text", "choice", "id"})
    if unknown:
        raise BadMessage(f"unknown field(s): {', '.join(unknown)}")
    user = data.get("user")
    if not isinstance(user, str) or not user.strip():
        raise BadMessage('"user" is required and must be a non-empty string')
    if len(user) > 100:
        raise BadMessage('"user" must be at most 100 characters')
    text, choice, message_id = data.get("text"), data.get("choice"), data.get("id")
    if (text is None) == (choice is None):
        raise BadMessage('give exactly one of "text" or "choice"')
    for name, value in (("text", text), ("choice", choice)):
        if value is not None and not isinstance(value, str):
            raise BadMessage(f'"{name}" must be a string')
    if message_id is not None and (not isinstance(message_id, str | int) or isinstance(message_id, bool)):
        raise BadMessage('"id" must be a string or a number')
    return Inbound(
        UserRef(channel, user_prefix + user), text=text, choice=choice,
        message_id=None if message_id is None else str(message_id)[:128],
    )


def parse_line(line: str, channel: str) -> Inbound:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as err:
        raise BadMessage(f"not valid JSON: {err.msg} at column {err.colno}") from err
    return parse_message(data, channel)


def reply_json(replies: Iterable[Reply], state: str | None) -> dict[str, Any]:
    replies = list(replies)
    return {
        "replies": [
            {"text": r.text, "choices": [{"id": c.id, "label": c.label} for c in r.choices]} for r in replies
        ],
        "state": state,
        "ticket": next((r.ticket for r in replies if r.ticket), None),
    }
