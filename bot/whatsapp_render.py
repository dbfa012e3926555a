"""A `Reply` as WhatsApp Cloud API messages, within WhatsApp's limits.

Up to 3 choices whose labels fit a button (20 characters) become reply buttons; up to 10 become a list
message (row titles 24 characters, the whole label in the 72-character description when it is longer);
more become numbered text, answered by typing the number or the words as on every channel. Interactive
bodies hold 1,024 characters and text messages 4,096: longer text goes first as text messages, split at
paragraph breaks where it can be.
"""

from __future__ import annotations

from typing import Any

from core.messages import Choice, Reply, numbered

TEXT_LIMIT = 4096
INTERACTIVE_BODY_LIMIT = 1024
BUTTONS = 3
BUTTON_TITLE = 20
LIST_ROWS = 10
ROW_TITLE = 24
ROW_DESCRIPTION = 72
LIST_BUTTON = 20
ID_LIMIT = 200


def split_text(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at a paragraph, line or word break when possible."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*pieces, rest] if rest else pieces or [""]


def _short(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _text(body: str) -> dict[str, Any]:
    return {"type": "text", "text": {"body": body, "preview_url": False}}


def _buttons(body: str, choices: tuple[Choice, ...]) -> dict[str, Any]:
    return {"type": "interactive", "interactive": {
        "type": "button", "body": {"text": body},
        "action": {"buttons": [{"type": "reply", "reply": {"id": c.id[:ID_LIMIT], "title": c.label}}
                               for c in choices]},
    }}


def _list(body: str, choices: tuple[Choice, ...]) -> dict[str, Any]:
    rows = []
    for number, choice in enumerate(choices, 1):
        row = {"id": choice.id[:ID_LIMIT], "title": _short(numbered(number, choice.label), ROW_TITLE)}
        if len(numbered(number, choice.label)) > ROW_TITLE:
            row["description"] = _short(choice.label, ROW_DESCRIPTION)
        rows.append(row)
    return {"type": "interactive", "interactive": {
        "type": "list", "body": {"text": body},
        "action": {"button": _short(f"☰ 1-{len(choices)}", LIST_BUTTON), "sections": [{"rows": rows}]},
    }}


def render(reply: Reply) -> list[dict[str, Any]]:
    """The message objects (without `to` and `messaging_product`) that carry `reply`."""
    choices = reply.choices
    fits_buttons = 0 < len(choices) <= BUTTONS and all(len(c.label) <= BUTTON_TITLE for c in choices)
    if not choices or len(choices) > LIST_ROWS:
        text = reply.text
        if choices:
            text += "\n\n" + "\n".join(numbered(n, c.label) for n, c in enumerate(choices, 1))
        return [_text(piece) for piece in split_text(text, TEXT_LIMIT)]
    pieces = split_text(reply.text or "…", INTERACTIVE_BODY_LIMIT)
    lead = [_text(piece) for piece in split_text("\n\n".join(pieces[:-1]), TEXT_LIMIT)] if len(pieces) > 1 else []
    last = pieces[-1]
    return [*lead, _buttons(last, choices) if fits_buttons else _list(last, choices)]


def inbound_fields(message: dict[str, Any]) -> tuple[str | None, str | None]:
    """(text, choice id) of a user's message: typed text, a tapped button or list row, a template's quick
    reply button, or a media caption; (None, None) for kinds the helpdesk does not read."""
    kind = message.get("type")
    if kind == "text":
        return str(message.get("text", {}).get("body", "")), None
    if kind == "interactive":
        interactive = message.get("interactive", {})
        picked = interactive.get("button_reply") or interactive.get("list_reply") or {}
        return None, str(picked.get("id", "")) or None
    if kind == "button":  # a quick-reply button of a template message
        return str(message.get("button", {}).get("text", "")) or None, None
    if kind in {"image", "document"}:
        caption = message.get(kind, {}).get("caption")
        return (str(caption) if caption else None), None
    return None, None
