"""Domain errors, in one place so that each boundary (CLI, HTTP) maps them once."""

from __future__ import annotations

from dataclasses import dataclass


class HelpdeskError(Exception):
    """Base of every error the helpdesk raises on purpose."""


class ConfigError(HelpdeskError):
    """Settings or content files are invalid; the message says which and where."""


class NotFound(HelpdeskError):
    """A ticket, user or entry that was asked for does not exist."""


class ConflictError(HelpdeskError):
    """A concurrent change won; the caller should reload and try again."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a file: where it is and what is wrong."""

    file: str
    line: int | None
    field: str | None
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        what = f"{self.field}: " if self.field else ""
        return f"{where}: {self.severity}: {what}{self.message}"


class InvalidContent(ConfigError):
    """Content files failed validation; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class InvalidTransition(HelpdeskError):
    """The ticket's status does not allow that action (e.g. replying on a closed ticket)."""


class PermissionDenied(HelpdeskError):
    """The caller's role may not do this."""


class TakeOverRequired(ConflictError):
    """The ticket is someone else's (`holder`): taking it over must be confirmed."""

    def __init__(self, message: str, holder: str) -> None:
        super().__init__(message)
        self.holder = holder


class StaleVersion(ConflictError):
    """The caller's copy of the ticket is older than the stored one (If-Match failed)."""


class InvalidInput(HelpdeskError):
    """A parameter is wrong; the message names it."""
