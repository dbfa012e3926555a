"""`helpdesk flow diagram`: write (or check) the flow's committed diagram."""

from __future__ import annotations

from typing import Annotated

import typer

from flows.diagram import DIAGRAM_FILE, document

flow_app = typer.Typer(help="The conversation flow.", no_args_is_help=True)


@flow_app.command("diagram")
def diagram(
    check: Annotated[bool, typer.Option("--check", help="Fail if the committed diagram is stale.")] = False,
) -> None:
    """Regenerate flows/diagram.md from the flow's data."""
    fresh = document()
    if check:
        current = DIAGRAM_FILE.read_text(encoding="utf-8") if DIAGRAM_FILE.exists() else ""
        if current != fresh:
            typer.echo(f"{DIAGRAM_FILE} is stale: run `helpdesk flow diagram`", err=True)
            raise typer.Exit(1)
        typer.echo("diagram is up to date")
        return
    DIAGRAM_FILE.write_text(fresh, encoding="utf-8")
    typer.echo(f"wrote {DIAGRAM_FILE}")
