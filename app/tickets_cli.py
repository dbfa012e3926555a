"""`helpdesk tickets ...`: look at filed tickets from the terminal."""

from __future__ import annotations

import asyncio
import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from app.wiring import open_database
from core.errors import NotFound
from core.settings import Settings
from tickets.store import SqlTicketStore, Ticket

tickets_app = typer.Typer(help="Filed tickets.", no_args_is_help=True)


class Format(StrEnum):
    table = "table"
    json = "json"


async def _read(settings: Settings, number: str | None, limit: int) -> list[Ticket]:
    db, sessions = open_database(settings)
    try:
        async with sessions() as session:
            store = SqlTicketStore(session, settings.ticket_prefix)
            return [await store.get(number)] if number else await store.recent(limit)
    finally:
        await db.dispose()


def _public(ticket: Ticket, settings: Settings) -> dict[str, Any]:
    data = ticket.as_dict()
    data["route"] = {"team": ticket.team, "name": settings.team_name(ticket.team)}
    return data


@tickets_app.command("list")
def list_tickets(
    ctx: typer.Context,
    format: Annotated[Format, typer.Option("--format")] = Format.table,
    limit: Annotated[int, typer.Option(min=1)] = 50,
) -> None:
    """The newest tickets, newest first."""
    settings: Settings = ctx.obj
    tickets = asyncio.run(_read(settings, None, limit))
    if format is Format.json:
        keys = ("number", "status", "priority", "category", "module", "ulb", "team", "channel", "user_id",
                "created_at", "description")
        rows = [{k: v for k, v in _public(t, settings).items() if k in keys} for t in tickets]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table("Number", "Status", "Priority", "Category", "Module", "ULB", "Team", "Created (UTC)")
    for t in tickets:
        created = t.created_at.strftime("%Y-%m-%d %H:%M") if t.created_at else ""
        table.add_row(t.number, t.status, t.priority, t.category, t.module, t.ulb or "", t.team, created)
    Console().print(table if tickets else "No tickets yet.")


@tickets_app.command("show")
def show_ticket(
    ctx: typer.Context,
    number: str,
    format: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """One ticket in full: the problem, its triage and route, and the whole bot conversation."""
    settings: Settings = ctx.obj
    try:
        (ticket,) = asyncio.run(_read(settings, number, 1))
    except NotFound as err:
        typer.echo(f"{err}", err=True)
        raise typer.Exit(1) from err
    data = _public(ticket, settings)
    if format is Format.json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    console = Console()
    console.print(f"[bold]{ticket.number}[/]  {ticket.status}  {ticket.priority} ({ticket.priority_reason})")
    for label, value in (
        ("Category", ticket.category), ("Module", ticket.module), ("Route", data["route"]["name"]),
        ("User", f"{ticket.channel}:{ticket.user_id} ({ticket.role or '-'}, {ticket.ulb or '-'})"),
        ("Language", ticket.language), ("Created", data["created_at"]), ("Description", ticket.description),
        ("FAQ rejected", ", ".join(ticket.faq_rejected) or "-"),
    ):
        console.print(f"{label}: {value}", highlight=False, markup=False)
    console.print("\nTranscript:", style="bold")
    for line in ticket.transcript:
        console.print(f"  [{line['at']}] {line['from']}: {line['text']}", highlight=False, markup=False)
        if line.get("text_en"):  # the bot's side, in English, for a user who wrote in Odia or Hindi
            console.print(f"      (en) {line['text_en']}", highlight=False, markup=False)
