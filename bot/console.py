"""The console channel: an interactive chat in the terminal, and a JSON-lines protocol for scripts.

JSON lines, one object per line each way. In: `{"user": "u1", "text": "..."}` or `{"user": "u1",
"choice": "<choice id>"}`, optionally `"id"` (a message id; a repeated one is ignored). Out, exactly one
line per line in: `{"replies": [...], "state": "...", "ticket": "<number filed by this event>" | null}`, or
`{"error": "..."}` for a line that could not be read; the session goes on either way.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any, Protocol, TextIO

from rich.console import Console
from rich.markup import escape

from core.messages import Inbound, Reply, UserRef

log = logging.getLogger(__name__)
CHANNEL = "console"


class ChatEngine(Protocol):
    async def handle(self, inbound: Inbound) -> list[Reply]: ...
    async def state_of(self, user: UserRef) -> str | None: ...
    async def current_question(self, user: UserRef) -> list[Reply]: ...


class BadLine(ValueError):
    """A JSON line that is not a valid inbound message; the text says what is wrong."""


def parse_line(line: str) -> Inbound:
    """One JSON line as an `Inbound`, or `BadLine` naming the field that is wrong."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as err:
        raise BadLine(f"not valid JSON: {err.msg} at column {err.colno}") from err
    if not isinstance(data, dict):
        raise BadLine("expected a JSON object like {\"user\": \"u1\", \"text\": \"hello\"}")
    unknown = sorted(set(data) - {"user", "text", "choice", "id"})
    if unknown:
        raise BadLine(f"unknown field(s): {', '.join(unknown)}")
    user = data.get("user")
    if not isinstance(user, str) or not user.strip():
        raise BadLine('"user" is required and must be a non-empty string')
    text, choice, message_id = data.get("text"), data.get("choice"), data.get("id")
    if (text is None) == (choice is None):
        raise BadLine('give exactly one of "text" or "choice"')
    for name, value in (("text", text), ("choice", choice)):
        if value is not None and not isinstance(value, str):
            raise BadLine(f'"{name}" must be a string')
    if message_id is not None and (not isinstance(message_id, str | int) or isinstance(message_id, bool)):
        raise BadLine('"id" must be a string or a number')
    return Inbound(
        UserRef(CHANNEL, user), text=text, choice=choice,
        message_id=None if message_id is None else str(message_id),
    )


def reply_json(replies: Iterable[Reply], state: str | None) -> dict[str, Any]:
    replies = list(replies)
    return {
        "replies": [
            {"text": r.text, "choices": [{"id": c.id, "label": c.label} for c in r.choices]} for r in replies
        ],
        "state": state,
        "ticket": next((r.ticket for r in replies if r.ticket), None),
    }


async def run_json_lines(engine: ChatEngine, lines: Iterable[str], out: TextIO) -> None:
    """Answer each input line with exactly one output line, flushed at once."""
    for line in lines:
        if not line.strip():
            continue
        try:
            inbound = parse_line(line)
            replies = await engine.handle(inbound)
            answer = reply_json(replies, await engine.state_of(inbound.user))
        except BadLine as err:
            answer = {"error": str(err)}
        except Exception as err:
            log.exception("could not handle %r", line[:200])
            answer = {"error": f"internal error: {type(err).__name__}; the message was not processed"}
        out.write(json.dumps(answer, ensure_ascii=False) + "\n")
        out.flush()


def render(console: Console, reply: Reply) -> None:
    console.print(f"[bold cyan]bot>[/] {escape(reply.text)}")
    for n, choice in enumerate(reply.choices, start=1):
        console.print(f"  [bold]{n}[/]. {escape(choice.label)}")


async def run_interactive(engine: ChatEngine, user_id: str, console: Console | None = None) -> None:
    """A chat in the terminal; numbers, labels and commands typed as text. Ends on Ctrl-D or 'quit'."""
    console = console or Console()
    user = UserRef(CHANNEL, user_id)
    console.print("[dim]MUKTASoft helpdesk chat. Type 'help' for commands, 'quit' or Ctrl-D to leave.[/]")
    if await engine.state_of(user) is None:
        replies = await engine.handle(Inbound(user, text="hello"))
    else:
        replies = await engine.current_question(user)
    for reply in replies:
        render(console, reply)
    while True:
        try:
            text = console.input("[bold green]you>[/] ")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if text.strip().lower() in ("quit", "exit"):
            return
        for reply in await engine.handle(Inbound(user, text=text)):
            render(console, reply)
