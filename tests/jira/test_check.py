"""`helpdesk jira check` says whether the hand-off can work and, if not, exactly which setting is wrong."""

from __future__ import annotations

from typer.testing import CliRunner

from app.cli import cli
from tests.jira.fake_jira import TOKEN, USER, FakeJira

runner = CliRunner()


def _env(fake: FakeJira, **overrides: str) -> dict[str, str]:
    env = {"HELPDESK_JIRA_URL": fake.url, "HELPDESK_JIRA_USER": USER, "HELPDESK_JIRA_TOKEN": TOKEN,
           "HELPDESK_JIRA_WEBHOOK_SECRET": "s3cret", "HELPDESK_JIRA_STATUSES": '{"Done": "fixed"}'}
    return {**env, **overrides}


def test_a_correct_configuration_is_reported_ready(fake: FakeJira) -> None:
    result = runner.invoke(cli, ["jira", "check"], env=_env(fake))
    assert result.exit_code == 0, result.output
    assert "ok: connected to Fake JIRA 9.12.2" in result.output
    assert "ok: project MUKTA found" in result.output
    assert result.output.rstrip().endswith("JIRA hand-off is ready")


def test_wrong_mappings_are_named_with_what_jira_has_instead(fake: FakeJira) -> None:
    env = _env(fake, HELPDESK_JIRA_ISSUE_TYPES='{"bug": "Bug", "enhancement": "Story"}',
               HELPDESK_JIRA_PRIORITIES='{"P1": "Blocker", "P2": "High", "P3": "Medium", "P4": "Low"}',
               HELPDESK_JIRA_STATUSES='{"Done": "fixed", "Resolved": "finished"}')
    result = runner.invoke(cli, ["jira", "check"], env=env)
    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if line.startswith("problem:")]
    assert problems == [
        "problem: HELPDESK_JIRA_STATUSES: 'Resolved' maps to 'finished'; use one of fixed, declined, in_progress",
        "problem: HELPDESK_JIRA_ISSUE_TYPES: enhancement -> 'Story' is not an issue type of MUKTA "
        "(it has: Bug, Improvement, Task)",
        "problem: HELPDESK_JIRA_PRIORITIES: P1 -> 'Blocker' is not a JIRA priority "
        "(it has: High, Highest, Low, Lowest, Medium)",
    ]


def test_bad_credentials_a_missing_project_or_no_server_are_said_plainly(fake: FakeJira) -> None:
    token = runner.invoke(cli, ["jira", "check"], env=_env(fake, HELPDESK_JIRA_TOKEN="expired"))  # noqa: S106
    project = runner.invoke(cli, ["jira", "check"], env=_env(fake, HELPDESK_JIRA_PROJECT="MUKTAX"))
    nothing = runner.invoke(cli, ["jira", "check"], env=_env(fake, HELPDESK_JIRA_URL="http://127.0.0.1:9"))
    unset = runner.invoke(cli, ["jira", "check"], env=_env(fake, HELPDESK_JIRA_URL=""))
    assert [r.exit_code for r in (token, project, nothing, unset)] == [1, 1, 1, 1]
    assert "HTTP 401" in token.output and "(check HELPDESK_JIRA_USER and HELPDESK_JIRA_TOKEN)" in token.output
    assert "problem: HELPDESK_JIRA_PROJECT='MUKTAX': not found or not visible (HTTP 404" in project.output
    assert "problem: cannot connect to HELPDESK_JIRA_URL=http://127.0.0.1:9: ConnectionError" in nothing.output
    assert "problem: HELPDESK_JIRA_URL is not set" in unset.output
