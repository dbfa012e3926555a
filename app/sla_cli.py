"""`helpdesk sla ...`: SLA due times from the terminal, computed as the tickets compute them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import typer

from core.settings import Settings
from tickets.sla import SlaPolicy, due_time

sla_app = typer.Typer(help="SLA targets on the business calendar.", no_args_is_help=True)


class KindOption(StrEnum):
    response = "response"
    resolution = "resolution"


@sla_app.command("due")
def due(
    ctx: typer.Context,
    priority: Annotated[str, typer.Option("--priority", help="P1 (critical) to P4 (low).")],
    start: Annotated[str, typer.Option("--from", help="When the clock starts, ISO 8601; no offset means IST.")],
    kind: Annotated[KindOption, typer.Option("--kind")] = KindOption.response,
) -> None:
    """Print when a ticket of PRIORITY filed at --from is due, ISO 8601 in the calendar's zone."""
    settings: Settings = ctx.obj
    policy = SlaPolicy.from_settings(settings)
    started = _parse_start(start, policy)
    try:
        policy.target(priority, kind.value)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="'--priority'") from err
    typer.echo(due_time(policy, priority, started, kind.value).isoformat())


def _parse_start(text: str, policy: SlaPolicy) -> datetime:
    """An ISO 8601 instant; a naive one is read in the calendar's zone (IST)."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as err:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 date-time", param_hint="'--from'") from err
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=policy.calendar.zone)
