"""Settings from the environment (prefix HELPDESK_), built once in `app` and passed down."""

from __future__ import annotations

import os
from datetime import date, time
from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Ulb(BaseModel):
    """An urban local body the helpdesk serves; `code` is its DIGIT tenant id."""

    code: str
    name: str


class Team(BaseModel):
    """A team tickets are routed to."""

    code: str
    name: str


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "helpdesk"


DEFAULT_ULBS = [Ulb(code="od.jatni", name="Jatni"), Ulb(code="od.dhenkanal", name="Dhenkanal")]
DEFAULT_TEAMS = [
    Team(code="master_trainers", name="Master Trainers"),
    Team(code="state_technical", name="State technical team (HUDD)"),
    Team(code="vendor", name="Product vendor technical team (eGov)"),
    Team(code="programme_admin", name="Programme administration (HUDD PMU)"),  # last escalation level
]
# category -> team code, as the programme's escalation matrix has it
DEFAULT_ROUTES = {
    "functional": "master_trainers",
    "technical": "state_technical",
    "bug": "vendor",
    "enhancement": "vendor",
}
# first-response targets in business hours (a business day is 09:00-18:00, 9 hours)
DEFAULT_RESPONSE_HOURS = {"P1": 4, "P2": 9, "P3": 18, "P4": 18}
# resolution targets in business hours: P1 1 day, P2 3 days, P3 5 days, P4 10 days (see tickets/sla.py)
DEFAULT_RESOLUTION_HOURS = {"P1": 9, "P2": 27, "P3": 45, "P4": 90}


class Settings(BaseSettings):
    """Everything configurable. Lists and maps are JSON in the environment, e.g.
    HELPDESK_ULBS='[{"code": "od.puri", "name": "Puri"}]'."""

    model_config = SettingsConfigDict(env_prefix="HELPDESK_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    kb_dir: Path | None = None
    ulbs: list[Ulb] = Field(default_factory=lambda: list(DEFAULT_ULBS))
    teams: list[Team] = Field(default_factory=lambda: list(DEFAULT_TEAMS))
    routes: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_ROUTES))
    response_hours: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_RESPONSE_HOURS))
    resolution_hours: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_RESOLUTION_HOURS))
    extra_holidays: list[date] = Field(default_factory=list)  # e.g. state-declared holidays, ISO dates
    business_start: time = time(9, 0)
    business_end: time = time(18, 0)
    timezone: str = "Asia/Kolkata"
    at_risk_fraction: float = Field(default=0.75, gt=0, le=1)
    max_text_chars: int = 4000
    faq_max_hits: int = 3
    faq_threshold: float | None = None
    ticket_prefix: str = "HD"
    reopen_days: int = 7
    channel_keys: dict[str, str] = Field(default_factory=dict)
    auto_assign: bool = False  # round-robin new tickets to on-shift L1 operators (tickets/assignment.py)
    l1_team: str = "helpdesk"  # the L1 desk's notification inbox (escalation level 0)
    escalation_final_team: str | None = "programme_admin"  # level 2; None: the tier team is the last level
    sla_sweep_seconds: float = Field(default=60, gt=0)  # period of the SLA sweep (tickets/sla_job.py)
    telegram_token: str | None = None  # from BotFather; enables the Telegram channel and its delivery
    telegram_api_url: str | None = None  # Bot API base URL override, e.g. a local fake in tests
    telegram_file_url: str | None = None  # file download base URL override
    attachments_max_bytes: int = Field(default=20 * 1024 * 1024, gt=0)  # per file (tickets/attachments.py)
    web_session_secret: str | None = None  # signs console cookies; default: made once in the data folder
    web_frame_ancestors: str = "'self'"  # sites that may embed the web chat in an iframe (CSP frame-ancestors)

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"

    def resolved_database_url(self) -> str:
        """The configured URL, or a SQLite file in the data folder (created on first use)."""
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.data_dir / 'helpdesk.db'}"

    def team_name(self, code: str) -> str:
        return next((t.name for t in self.teams if t.code == code), code)
