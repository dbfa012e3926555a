"""`helpdesk jira check`: is the JIRA hand-off configured right, and does that JIRA have what it names?"""

from __future__ import annotations

import typer

from core.settings import Settings

jira_app = typer.Typer(help="The JIRA hand-off for bugs and enhancements.", no_args_is_help=True)


@jira_app.command("check")
def check(ctx: typer.Context) -> None:
    """Connect to JIRA and verify the project, issue types, priorities and statuses the settings name."""
    from jira_link.check import run_check  # not at import: every other command would load the jira client

    settings: Settings = ctx.obj
    report = run_check(settings)
    for line in report.ok:
        typer.echo(f"ok: {line}")
    for line in report.warnings:
        typer.echo(f"warning: {line}")
    for line in report.problems:
        typer.echo(f"problem: {line}")
    if report.problems:
        typer.echo(f"{len(report.problems)} problem(s): the hand-off to JIRA will not work until they are fixed")
        raise typer.Exit(1)
    typer.echo("JIRA hand-off is ready")
