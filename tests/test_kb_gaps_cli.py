"""`helpdesk kb gaps` reads the filed tickets and groups the problems the FAQ did not answer."""

from __future__ import annotations

import asyncio
import json

from typer.testing import CliRunner

from app.cli import cli
from core.settings import Settings
from flows.engine import Engine
from tests.fakes import ScriptedChat


async def _file(engine: Engine, user: str, description: str) -> None:
    chat = ScriptedChat(engine, user)
    await chat.walk_to_confirm(description)
    await chat.pick("file it")


async def test_gaps_groups_similar_ticket_descriptions_largest_first(engine: Engine, settings: Settings) -> None:
    for n, text in enumerate([
        "muster roll approve button gives an error",
        "error when I approve the muster roll",
        "muster roll approval error message",
        "cannot upload site photo in measurement book",
        "site photo upload fails in the measurement book",
        "printer is not working",
    ]):
        await _file(engine, f"user{n}", text)
    env = {"HELPDESK_DATABASE_URL": settings.resolved_database_url()}
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["kb", "gaps", "--format", "json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["tickets"] == 6
    sizes = [g["size"] for g in report["groups"]]
    assert sizes[:2] == [3, 2] and sum(sizes) == 6
    assert all("muster" in e for e in report["groups"][0]["examples"])
