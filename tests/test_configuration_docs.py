"""docs/configuration.md is what `helpdesk config docs` generates from the Settings fields, so a new setting
cannot ship without a description, nor the page drift from the code."""

from __future__ import annotations

from typer.testing import CliRunner

from app.cli import cli
from app.config_cli import DOCS_FILE, configuration_markdown
from core.settings import Settings


def test_every_setting_has_a_description_and_a_row() -> None:
    page = configuration_markdown()
    for name, field in Settings.model_fields.items():
        assert field.description, f"Settings.{name} needs description=..."
        assert f"| `HELPDESK_{name.upper()}` |" in page


def test_the_committed_page_is_the_generated_one() -> None:
    assert DOCS_FILE.read_text(encoding="utf-8") == configuration_markdown(), "run `helpdesk config docs`"


def test_check_says_whether_the_page_is_up_to_date() -> None:
    done = CliRunner().invoke(cli, ["config", "docs", "--check"])
    assert done.exit_code == 0, done.output
    assert "up to date" in done.output
