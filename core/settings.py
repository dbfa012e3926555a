"""Settings from the environment (prefix HELPDESK_), built once in `app` and passed down."""

from __future__ import annotations

import os
import re
from datetime import date, time
from pathlib import Path

from pydantic import BaseModel, Field, field_validator
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


_INTEGRATION = re.compile(r"[A-Za-z0-9_.-]{1,64}")  # no ":": the separator of "<integration>:<user>"

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
    channel_keys: dict[str, str] = Field(
        default_factory=dict, description="HTTP-chat integrations: name -> secret key; a name is 1-64 letters, "
        "digits, _ . or - (never ':'), so an integration's users, stored as '<name>:<user>', can never be another's")
    webhook_allow_private: bool = Field(
        default=False, description="let outbound webhooks post to loopback, link-local and private addresses "
        "(for integrations on the same host or network); off, such URLs are refused at subscription and delivery")
    auto_assign: bool = False  # round-robin new tickets to on-shift L1 operators (tickets/assignment.py)
    l1_team: str = "helpdesk"  # the L1 desk's notification inbox (escalation level 0)
    escalation_final_team: str | None = "programme_admin"  # level 2; None: the tier team is the last level
    sla_sweep_seconds: float = Field(default=60, gt=0)  # period of the SLA sweep (tickets/sla_job.py)
    telegram_token: str | None = None  # from BotFather; enables the Telegram channel and its delivery
    telegram_api_url: str | None = None  # Bot API base URL override, e.g. a local fake in tests
    telegram_file_url: str | None = None  # file download base URL override
    telegram_webhook_secret: str | None = None  # else `helpdesk telegram set-webhook` keeps one in data_dir
    telegram_operators_chat: int | None = None  # the operators' supergroup (with topics); one topic per ticket
    telegram_operators: dict[str, str] = Field(default_factory=dict)  # Telegram user id -> operator name
    attachments_max_bytes: int = Field(default=20 * 1024 * 1024, gt=0)  # per file (tickets/attachments.py)
    # JIRA hand-off (jira_link/): bugs and enhancements escalated to `jira_team` become JIRA issues
    jira_url: str | None = None  # e.g. https://egov.atlassian.net; unset: no hand-off
    jira_user: str | None = None  # the account's e-mail (Cloud); unset: the token is a personal access token
    jira_token: str | None = None  # API token, from the environment
    jira_project: str = "MUKTA"
    jira_team: str = "vendor"  # escalating to this team hands bugs and enhancements to JIRA
    jira_issue_types: dict[str, str] = Field(default_factory=lambda: {"bug": "Bug", "enhancement": "Improvement"})
    jira_priorities: dict[str, str] = Field(
        default_factory=lambda: {"P1": "Highest", "P2": "High", "P3": "Medium", "P4": "Low"})
    jira_statuses: dict[str, str] = Field(  # JIRA status -> fixed | declined | in_progress, for the webhook
        default_factory=lambda: {"Done": "fixed", "Resolved": "fixed", "Closed": "fixed", "In Progress": "in_progress"})
    jira_webhook_secret: str | None = None  # JIRA's webhook calls /api/jira/webhook?secret=... (or X-Helpdesk-Secret)
    voice_auth_token: str | None = None  # the telephony account's auth token: checks X-Twilio-Signature
    voice_account_sid: str | None = None  # with the auth token, HTTP basic auth for recording downloads
    voice_public_url: str | None = None  # the base URL the provider calls, e.g. https://helpdesk.example.org
    voice_recording_hosts: list[str] = Field(default_factory=lambda: ["api.twilio.com"])  # fetched only here
    voice_max_record_seconds: int = Field(default=120, gt=0)
    voice_gather_seconds: int = Field(default=6, gt=0)  # how long to wait for a key press
    voice_faq_max: int = Field(default=3, ge=0)  # FAQ entries offered per module on a call
    # language -> the provider's <Say> language; a language not listed is played from rendered audio files
    voice_say_languages: dict[str, str] = Field(default_factory=lambda: {"en": "en-IN", "hi": "hi-IN"})
    # known problems (tickets/problems.py, tickets/problem_spotting.py)
    problem_min_tickets: int = Field(default=5, ge=2)  # similar open tickets in the window that make a proposal
    problem_window_hours: float = Field(default=2, gt=0)  # how far back the spotting job looks
    problem_similarity: float = Field(default=0.3, gt=0, le=1)  # how alike descriptions in a group are
    problem_by_ulb: bool = False  # group by ULB too (a proposal, and the problem, then belong to one ULB)
    problem_spot_seconds: float = Field(default=300, gt=0)  # period of the spotting job
    problem_match_similarity: float = Field(default=0.45, gt=0, le=1)  # a user's words vs an open problem
    problem_notify_per_second: dict[str, float] = Field(default_factory=lambda: {"telegram": 25.0})
    chat_messages_per_minute: int = Field(default=60, ge=0)  # per chat user; over it they are asked to slow down
    api_requests_per_minute: int = Field(default=600, ge=0)  # per API token; over it 429 with Retry-After
    max_request_bytes: int = Field(default=1024 * 1024, gt=0)  # an HTTP request body larger than this is a 413
    # WhatsApp Business Cloud API (bot/whatsapp_*.py); the channel runs when the token and phone number id are set
    whatsapp_token: str | None = Field(default=None, description="WhatsApp Cloud API access token (a system "
                                       "user's permanent token); with the phone number id it enables the channel.")
    whatsapp_phone_number_id: str | None = Field(
        default=None, description="The business phone number's id in the Cloud API (not the number itself); "
                                  "webhooks for others are ignored.")
    whatsapp_app_secret: str | None = Field(default=None, description="The Meta app's secret: webhook POSTs are "
                                            "refused unless X-Hub-Signature-256 is its HMAC of the body.")
    whatsapp_verify_token: str | None = Field(default=None, description="The token you type in Meta's webhook "
                                              "settings; the GET verification handshake must carry it.")
    whatsapp_business_account_id: str | None = Field(default=None, description="The WhatsApp Business Account "
                                                     "id; `helpdesk whatsapp check` reads templates and the webhook "
                                                     "subscription through it.")
    whatsapp_api_url: str = Field(default="https://graph.facebook.com/v21.0", description="The Graph API base URL "
                                  "(a local fake in tests).")
    whatsapp_templates: dict[str, str] = Field(default_factory=lambda: {
        "operator_reply": "helpdesk_operator_reply", "ticket_resolved": "helpdesk_ticket_resolved",
        "other": "helpdesk_update"}, description="Outbox kind -> the approved utility template used outside the "
        "24-hour window (`helpdesk whatsapp templates` prints their texts); 'other' covers every other kind.")
    whatsapp_template_languages: dict[str, str] = Field(default_factory=lambda: {"en": "en", "or": "or", "hi": "hi"},
                                                        description="Our language -> the template's language code.")
    whatsapp_messages_per_second: float = Field(default=20.0, gt=0, description="Sends per second from the "
                                                "business number (Cloud API throughput is 80/s by default).")
    web_session_secret: str | None = None  # signs console cookies; default: made once in the data folder
    web_frame_ancestors: str = "'self'"  # sites that may embed the web chat in an iframe (CSP frame-ancestors)

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"

    @property
    def voice_prompts_dir(self) -> Path:
        return self.data_dir / "voice-prompts"

    @field_validator("channel_keys")
    @classmethod
    def _integration_names(cls, keys: dict[str, str]) -> dict[str, str]:
        bad = [name for name in keys if not _INTEGRATION.fullmatch(name)]
        if bad:
            raise ValueError(f"channel key names must be 1-64 letters, digits, _ . or - (no ':'), not {bad[0]!r}")
        return keys

    def resolved_database_url(self) -> str:
        """The configured URL, or a SQLite file in the data folder (created on first use)."""
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # users' data: the owner's alone
        return f"sqlite:///{self.data_dir / 'helpdesk.db'}"

    def team_name(self, code: str) -> str:
        return next((t.name for t in self.teams if t.code == code), code)
