"""`helpdesk config docs`: docs/configuration.md, generated from the descriptions of the Settings fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import TypeAdapter
from pydantic.fields import FieldInfo

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCS_FILE = ROOT / "docs" / "configuration.md"
PREFIX = "HELPDESK_"

config_app = typer.Typer(help="Settings: the generated reference docs/configuration.md.", no_args_is_help=True)

HEADER = f"""# Configuration

Every setting is an environment variable with the prefix `{PREFIX}`; lists and maps are JSON, e.g.
`HELPDESK_ULBS='[{{"code": "od.puri", "name": "Puri"}}]'`. The settings are read once at start.

This page is generated from the descriptions of the `Settings` fields in `core/settings.py` by
`helpdesk config docs`; `helpdesk config docs --check` (and a test) fail when it is out of date, so edit the
descriptions, not this file.

| variable | default | meaning |
| --- | --- | --- |
"""


def shown_default(field: FieldInfo) -> str:
    """The default as the environment would spell it (JSON for lists and maps), or what the field says."""
    extra = field.json_schema_extra
    if isinstance(extra, dict) and "shown_default" in extra:
        return f"`{extra['shown_default']}`"
    value: Any = field.get_default(call_default_factory=True)
    if value is None:
        return "none"
    plain = TypeAdapter[Any](field.annotation or Any).dump_python(value, mode="json")
    text = plain if isinstance(plain, str) else json.dumps(plain, ensure_ascii=False)
    return f"`{text}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def configuration_markdown() -> str:
    """docs/configuration.md: one row per Settings field, in the order they are declared."""
    rows = []
    for name, field in Settings.model_fields.items():
        if not field.description:
            raise ValueError(f"Settings.{name} has no description")
        rows.append(f"| `{PREFIX}{name.upper()}` | {_cell(shown_default(field))} | {_cell(field.description)} |")
    return HEADER + "\n".join(rows) + "\n"


@config_app.command("docs")
def docs(
    check: Annotated[bool, typer.Option("--check", help="Fail if the file differs instead of writing it.")] = False,
) -> None:
    """Write docs/configuration.md from the Settings fields' descriptions (or, with --check, compare)."""
    text = configuration_markdown()
    if check:
        current = DOCS_FILE.read_text(encoding="utf-8") if DOCS_FILE.exists() else ""
        if current != text:
            typer.echo(f"{DOCS_FILE.relative_to(ROOT)} is out of date: run `helpdesk config docs`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{DOCS_FILE.relative_to(ROOT)} is up to date")
        return
    DOCS_FILE.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {DOCS_FILE.relative_to(ROOT)}")
