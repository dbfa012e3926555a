"""Operations commands: `helpdesk backup`, `helpdesk restore`, `helpdesk doctor`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

ops_app = typer.Typer()


@ops_app.command()
def backup(
    ctx: typer.Context,
    archive: Annotated[Path, typer.Argument(help="The .tar.gz to write (owner-only), e.g. backup-2026-12-02.tar.gz.")],
) -> None:
    """Back up the database and the attachment files into one archive, while the server runs."""
    from core.backup import BackupError
    from core.backup import backup as take

    settings = ctx.obj
    try:
        manifest = take(settings.resolved_database_url(), settings.attachments_dir, archive, datetime.now(UTC))
    except BackupError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    typer.echo(f"{archive}: {manifest.database} database and {manifest.attachments} attachment file(s)")


@ops_app.command()
def restore(
    ctx: typer.Context,
    archive: Annotated[Path, typer.Argument(help="An archive written by `helpdesk backup`.")],
    force: Annotated[bool, typer.Option(help="Replace an existing database (stop the server first).")] = False,
) -> None:
    """Restore the database and attachments from a backup archive, then bring the schema up to date."""
    from core.backup import BackupError
    from core.backup import restore as put_back
    from core.db import upgrade

    settings = ctx.obj
    try:
        manifest = put_back(archive, settings.resolved_database_url(), settings.attachments_dir, force=force)
    except BackupError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    upgrade(settings.resolved_database_url())
    typer.echo(f"restored the {manifest.database} database taken at {manifest.taken_at} "
               f"and {manifest.attachments} attachment file(s)")


@ops_app.command()
def doctor(ctx: typer.Context) -> None:
    """Check settings, secrets, database, migrations, folders, channels and clock; one line each."""
    from app.doctor import diagnose, processes_from_env, settings_errors

    error = ctx.meta.get("settings_error")
    def clock() -> datetime:
        return datetime.now(UTC)

    findings = settings_errors(error) if error is not None else \
        diagnose(ctx.obj, clock(), processes=processes_from_env(), clock=clock)
    for finding in findings:
        typer.echo(finding.line())
    failed = sum(f.status == "fail" for f in findings)
    typer.echo(f"{failed} problem(s) to fix" if failed else "ready")
    raise typer.Exit(1 if failed else 0)
