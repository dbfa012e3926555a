"""`helpdesk jira check`: the JIRA settings, and whether that JIRA has what they name.

Each finding is one line that names the setting (environment variable) it is about, so an administrator
knows exactly what to change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from jira import JIRA, JIRAError

from core.settings import Settings
from jira_link.client import connect, describe
from jira_link.inbound import MEANINGS
from tickets.desk import PRIORITIES
from tickets.priority import CATEGORIES


@dataclass
class Report:
    ok: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _names(values: list[str]) -> str:
    return ", ".join(sorted(values)) or "none"


def check_settings(settings: Settings, report: Report) -> None:
    """What can be known without asking JIRA."""
    for name, value in (("HELPDESK_JIRA_URL", settings.jira_url), ("HELPDESK_JIRA_TOKEN", settings.jira_token)):
        if not value:
            report.problems.append(f"{name} is not set")
    if not settings.jira_webhook_secret:
        report.warnings.append("HELPDESK_JIRA_WEBHOOK_SECRET is not set: /api/jira/webhook refuses every call, so "
                               "resolutions and comments will not come back")
    teams = [t.code for t in settings.teams]
    if settings.jira_team not in teams:
        report.problems.append(f"HELPDESK_JIRA_TEAM={settings.jira_team!r} is not a team (teams: {_names(teams)})")
    for category in settings.jira_issue_types:
        if category not in CATEGORIES:
            report.problems.append(f"HELPDESK_JIRA_ISSUE_TYPES: {category!r} is not a category "
                                   f"(categories: {', '.join(CATEGORIES)})")
    missing = [p for p in PRIORITIES if p not in settings.jira_priorities]
    extra = [p for p in settings.jira_priorities if p not in PRIORITIES]
    if missing or extra:
        report.problems.append(f"HELPDESK_JIRA_PRIORITIES must map each of {', '.join(PRIORITIES)} "
                               f"(missing: {_names(missing)}; unknown: {_names(extra)})")
    for status, meaning in settings.jira_statuses.items():
        if meaning not in MEANINGS:
            report.problems.append(f"HELPDESK_JIRA_STATUSES: {status!r} maps to {meaning!r}; "
                                   f"use one of {', '.join(MEANINGS)}")


def check_server(client: JIRA, settings: Settings, report: Report) -> None:
    """The project, issue types, priorities and statuses the settings name exist in this JIRA."""
    who = client.myself()
    report.ok.append(f"signed in as {who.get('displayName') or who.get('name')}")
    project = settings.jira_project
    try:
        types = [t.name for t in client.project(project).issueTypes]
    except Exception as err:
        report.problems.append(f"HELPDESK_JIRA_PROJECT={project!r}: not found or not visible ({describe(err)})")
        return
    report.ok.append(f"project {project} found")
    for category, name in settings.jira_issue_types.items():
        if name not in types:
            report.problems.append(f"HELPDESK_JIRA_ISSUE_TYPES: {category} -> {name!r} is not an issue type of "
                                   f"{project} (it has: {_names(types)})")
    priorities = [p.name for p in client.priorities()]
    for ours, name in settings.jira_priorities.items():
        if name not in priorities:
            report.problems.append(f"HELPDESK_JIRA_PRIORITIES: {ours} -> {name!r} is not a JIRA priority "
                                   f"(it has: {_names(priorities)})")
    statuses = [s.name for s in client.statuses()]
    for name in settings.jira_statuses:
        if name not in statuses:
            report.warnings.append(f"HELPDESK_JIRA_STATUSES: {name!r} is not a status in this JIRA "
                                   f"(it has: {_names(statuses)})")


def _credentials_hint(err: Exception) -> str:
    refused = isinstance(err, JIRAError) and err.status_code in (401, 403)
    return " (check HELPDESK_JIRA_USER and HELPDESK_JIRA_TOKEN)" if refused else ""


def run_check(settings: Settings, connector: Callable[[Settings], JIRA] = connect) -> Report:
    """Everything `helpdesk jira check` reports (blocking)."""
    report = Report()
    check_settings(settings, report)
    if not settings.jira_url or not settings.jira_token:
        return report
    try:
        client = connector(settings)
    except Exception as err:
        report.problems.append(f"cannot connect to HELPDESK_JIRA_URL={settings.jira_url}: {describe(err)}"
                               f"{_credentials_hint(err)}")
        return report
    try:
        info = client.server_info()
        report.ok.append(f"connected to {info.get('serverTitle', 'JIRA')} {info.get('version', '')} at "
                         f"{settings.jira_url}")
        check_server(client, settings, report)
    except Exception as err:
        report.problems.append(f"JIRA at {settings.jira_url} answered with an error: {describe(err)}"
                               f"{_credentials_hint(err)}")
    finally:
        client.close()  # type: ignore[no-untyped-call]  # the library leaves it unannotated
    return report
