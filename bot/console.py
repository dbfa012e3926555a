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
from typing import TextIO

from rich.console import Console
from rich.markup import escape

from bot.protocol import BadMessage, parse_line, reply_json
from core.channel import ChatEngine
from core.messages import Inbound, Reply, UserRef, numbered

log = logging.getLogger(__name__)
CHANNEL = "console"


async def run_json_lines(engine: ChatEngine, lines: Iterable[str], out: TextIO) -> None:
    """Answer each input line with exactly one output line, flushed at once."""
    for line in lines:
        if not line.strip():
            continue
        try:
            inbound = parse_line(line, CHANNEL)
            replies = await engine.handle(inbound)
            answer = reply_json(replies, await engine.state_of(inbound.user))
        except BadMessage as err:
            answer = {"error": str(err)}
        except Exception as err:
            log.exception("could not handle %r", line[:200])
            answer = {"error": f"internal error: {type(err).__name__}; the message was not processed"}
        out.write(json.dumps(answer, ensure_ascii=False) + "\n")
        out.flush()


def render(console: Console, reply: Reply) -> None:
    console.print(f"[bold cyan]bot>[/] {escape(reply.text)}")
    for n, choice in enumerate(reply.choices, start=1):
        console.print(f"  {escape(numbered(n, choice.label))}")

async def run_interactive(engine: ChatEngine, user_id: str, console: Console | None = None) -> None:
    """A chat in the terminal; numbers, labels and commands typed as text. Ends on Ctrl-D or 'quit'."""
    console = console or Console()
    user = UserRef(CHANNEL, user_id)
    console.print("[dim]MUKTASoft helpdesk chat. Type 'help' for commands, 'quit' or Ctrl-D to leave.[/]")
    if await engine.state_of(user) is None:
        replies = await engine.handle(Inbound(user, text="hello"))
    else:
        replies = await engine.pending(user) + await engine.current_question(user)
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
