"""Settings from the environment (prefix HELPDESK_), built once in `app` and passed down."""

from __future__ import annotations

import ipaddress
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

    data_dir: Path = Field(
        default_factory=default_data_dir,
        json_schema_extra={"shown_default": "$XDG_DATA_HOME/helpdesk, else ~/.local/share/helpdesk"},
        description="Where the default SQLite database, attachments, voice prompts and generated secrets live.")
    database_url: str | None = Field(
        default=None, description="Any SQLAlchemy URL; `postgresql://user@host/db` for production. Unset: a SQLite "
        "file `helpdesk.db` in the data folder, created on first use.")
    kb_dir: Path | None = Field(default=None, description="The knowledge-base folder to load. Unset: the shipped "
                                "`kb/content`.")
    ulbs: list[Ulb] = Field(default_factory=lambda: list(DEFAULT_ULBS), description="The ULBs served, "
                            '`[{"code": "od.puri", "name": "Puri"}, ...]`; `code` is the DIGIT tenant id.')
    teams: list[Team] = Field(default_factory=lambda: list(DEFAULT_TEAMS), description="The teams tickets are "
                              'routed and escalated to, `[{"code": ..., "name": ...}]`.')
    routes: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_ROUTES), description="Category -> team "
                                   "code: who handles a new ticket, as the programme's escalation matrix has it.")
    response_hours: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_RESPONSE_HOURS), description="First-response targets per priority, "
        "in business hours (a business day is 9 hours, 09:00-18:00 IST).")
    resolution_hours: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_RESOLUTION_HOURS), description="Resolution targets per priority, in "
        "business hours: P1 1 day, P2 3 days, P3 5 days, P4 10 days (tickets/sla.py).")
    extra_holidays: list[date] = Field(default_factory=list, description='Days off besides the `holidays` '
                                       'package\'s India/Odisha list, ISO dates: `["2026-12-31"]` '
                                       "(state-declared holidays).")
    business_start: time = Field(default=time(9, 0), description="When the business day starts (SLA clocks run "
                                 "only in business hours).")
    business_end: time = Field(default=time(18, 0), description="When the business day ends.")
    timezone: str = Field(default="Asia/Kolkata", description="The time zone of the business hours.")
    at_risk_fraction: float = Field(default=0.75, gt=0, le=1, description="Share of the SLA time used at which "
                                    "a ticket is marked at risk.")
    max_text_chars: int = Field(default=4000, description="Longest description kept; longer text is cut and the "
                                "user is told.")
    faq_max_hits: int = Field(default=3, description="FAQ answers offered at most.")
    faq_threshold: float | None = Field(default=None, description="Confidence below which the bot offers no FAQ "
                                        "answer. Unset: the matcher's tuned default.")
    semantic: bool = Field(
        default=True,
        description="Fuse sentence-encoder evidence into FAQ matching (MiniLM for Latin, e5 for Odia and "
        "Devanagari) when the `semantic` extra is installed; false: lexical matching only (docs/matching.md).",
    )
    encoder_threads: int = Field(
        default=1,
        ge=1,
        le=16,
        description="Threads each sentence encoder may use for one query or batch (1: on a busy two-core "
        "server, two threads per query were slower; docs/matching.md).",
    )
    ticket_prefix: str = Field(default="HD", description="Ticket numbers look like `HD-000123`.")
    reopen_days: int = Field(default=7, description="A resolved ticket can be reopened this long; later, a "
                             "follow-up is a new linked ticket.")
    channel_keys: dict[str, str] = Field(
        default_factory=dict, description="HTTP-chat integrations: name -> secret key; a name is 1-64 letters, "
        "digits, _ . or - (never ':'), so an integration's users, stored as '<name>:<user>', can never be another's")
    webhook_allow_private: bool = Field(
        default=False, description="let outbound webhooks post to loopback, link-local and private addresses "
        "(for integrations on the same host or network); off, such URLs are refused at subscription and delivery")
    webhook_allow_networks: list[str] = Field(
        default_factory=list, description="networks outbound webhooks may post to although they are private, as "
        'CIDR blocks, e.g. `["10.20.0.0/16"]`: the allow-list for one integration network, where '
        "webhook_allow_private would open every private address")
    auto_assign: bool = Field(default=False, description="Round-robin new tickets to L1 operators on shift and "
                              "not away (tickets/assignment.py).")
    l1_team: str = Field(default="helpdesk", description="The L1 desk's notification inbox (escalation level 0).")
    escalation_final_team: str | None = Field(
        default="programme_admin", description="The last escalation level (level 2), a team code; empty: the tier "
        "team is the last level.")
    sla_sweep_seconds: float = Field(default=60, gt=0, description="How often the SLA sweep runs in `helpdesk "
                                     "serve` (tickets/sla_job.py).")
    delivery_seconds: float = Field(default=2, gt=0, description="How long `helpdesk serve`'s outbox worker waits "
                                    "between passes (webhooks, Telegram, WhatsApp, mail, Jira) when the last pass was "
                                    "not a full batch: the most a new item waits before it is sent.")
    telegram_token: str | None = Field(default=None, description="The bot's token from BotFather (`/newbot`); "
                                       "enables the Telegram channel and its delivery; needed for `--telegram`.")
    telegram_api_url: str | None = Field(default=None, description="Bot API base URL (`.../bot`). Unset: "
                                         "Telegram's; the tests point it at a local fake.")
    telegram_file_url: str | None = Field(default=None, description="File download base URL (`.../file/bot`). "
                                          "Unset: Telegram's.")
    telegram_webhook_secret: str | None = Field(
        default=None, description="The webhook's secret; without it `helpdesk telegram set-webhook` keeps a "
        "generated one in the data folder.")
    telegram_operators_chat: int | None = Field(
        default=None, description="The operators' supergroup (topics enabled) where each ticket gets a topic.")
    telegram_operators: dict[str, str] = Field(
        default_factory=dict, description='Who may act in the operators\' group: `{"<telegram user id>": '
        '"<operator name>"}`.')
    attachments_max_bytes: int = Field(
        default=20 * 1024 * 1024, gt=0, description="Largest photo or document kept, per file (Telegram lets bots "
        "download 20 MB at most; tickets/attachments.py).")
    # JIRA hand-off (jira_link/): bugs and enhancements escalated to `jira_team` become JIRA issues
    jira_url: str | None = Field(default=None, description="The JIRA site, e.g. `https://egov.atlassian.net`; "
                                 "unset: no hand-off.")
    jira_user: str | None = Field(default=None, description="The JIRA account's e-mail (Cloud); unset: the token "
                                  "is a personal access token.")
    jira_token: str | None = Field(default=None, description="The JIRA API token, from the environment.")
    jira_project: str = Field(default="MUKTA", description="The JIRA project issues are created in.")
    jira_team: str = Field(default="vendor", description="Escalating to this team hands bugs and enhancements to "
                           "JIRA.")
    jira_issue_types: dict[str, str] = Field(
        default_factory=lambda: {"bug": "Bug", "enhancement": "Improvement"},
        description="Ticket category -> JIRA issue type.")
    jira_priorities: dict[str, str] = Field(
        default_factory=lambda: {"P1": "Highest", "P2": "High", "P3": "Medium", "P4": "Low"},
        description="Ticket priority -> JIRA priority.")
    jira_statuses: dict[str, str] = Field(
        default_factory=lambda: {"Done": "fixed", "Resolved": "fixed", "Closed": "fixed", "In Progress": "in_progress"},
        description="JIRA status -> `fixed`, `declined` or `in_progress`, read by the JIRA webhook.")
    jira_webhook_secret: str | None = Field(
        default=None, description="JIRA's webhook calls `/api/jira/webhook?secret=...` (or sends "
        "`X-Helpdesk-Secret`) with this secret.")
    voice_auth_token: str | None = Field(
        default=None, description="The telephony account's auth token; checks `X-Twilio-Signature` and turns the "
        "voice line on.")
    voice_account_sid: str | None = Field(
        default=None, description="The account SID: with the auth token, HTTP basic auth on recording downloads.")
    voice_public_url: str | None = Field(
        default=None, description="The base URL the provider calls (`https://helpdesk.example.org`); needed with "
        "the token.")
    voice_recording_hosts: list[str] = Field(default_factory=lambda: ["api.twilio.com"],
                                             description="The only hosts recordings are fetched from.")
    voice_max_record_seconds: int = Field(default=120, gt=0, description="Longest recorded description.")
    voice_gather_seconds: int = Field(default=6, gt=0, description="How long a menu waits for a key press.")
    voice_say_languages: dict[str, str] = Field(
        default_factory=lambda: {"en": "en-IN", "hi": "hi-IN"}, description="Language -> the provider's `<Say "
        "language=...>`; a language not listed is played from rendered audio files.")
    # known problems (tickets/problems.py, tickets/problem_spotting.py)
    problem_min_tickets: int = Field(default=5, ge=2, description="Similar open tickets in the window that make a "
                                     "problem proposal.")
    problem_window_hours: float = Field(default=2, gt=0, description="How far back the spotting job looks.")
    problem_similarity: float = Field(default=0.3, gt=0, le=1, description="How alike descriptions in a proposed "
                                      "group are (as `kb gaps --similarity`).")
    problem_by_ulb: bool = Field(default=False, description="Group by ULB too; the proposal, and the problem, then "
                                 "concern that ULB's users only.")
    problem_spot_seconds: float = Field(default=300, gt=0, description="How often `helpdesk serve` runs the "
                                        "spotting job.")
    problem_match_similarity: float = Field(default=0.45, gt=0, le=1, description="How alike a user's description "
                                            "must be to an open problem to be offered it.")
    problem_notify_per_second: dict[str, float] = Field(
        default_factory=lambda: {"telegram": 25.0}, description="Per-channel pace of problem notices and "
        "broadcasts.")
    chat_messages_per_minute: int = Field(
        default=60, ge=0, description="Per chat user and process; over it the user is asked (in their language) "
        "to slow down and the message is not applied, so the same id can be sent again; `0`: no limit.")
    api_requests_per_minute: int = Field(default=600, ge=0, description="Per API token and process; over it `429` "
                                         "with `Retry-After`; `0`: no limit.")
    max_request_bytes: int = Field(default=1024 * 1024, gt=0, description="A larger HTTP request body is refused "
                                   "with `413` before any route reads it.")
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
    # e-mail (bot/email_*.py, docs/email.md); the channel runs when the IMAP URL, SMTP URL and address are set
    email_imap_url: str | None = Field(default=None, description="The helpdesk's mailbox: `imaps://user:password@"
                                       "host/INBOX` (TLS) or `imap://...` (STARTTLS; plain only on loopback); user "
                                       "and password percent-encoded (`helpdesk%40example.org`).")
    email_smtp_url: str | None = Field(default=None, description="Where replies are sent: `smtps://user:password@"
                                       "host:465` (TLS) or `smtp://user:password@host:587` (STARTTLS; plain only on "
                                       "loopback).")
    email_address: str | None = Field(default=None, description="The helpdesk's address, the From of its mail "
                                      "(mail from it is never answered).")
    email_display_name: str = Field(default="MUKTA Helpdesk", description="The name shown with the From address.")
    email_idle: bool = Field(default=True, description="Wait for new mail with IMAP IDLE when the server has it "
                             "(mail is answered within seconds); false, or a server without IDLE: poll.")
    email_poll_seconds: float = Field(default=60, gt=0, description="How often the mailbox is read when not "
                                      "waiting with IDLE (and the longest a missed IDLE notice delays a mail).")
    email_max_bytes: int = Field(default=15 * 1024 * 1024, gt=0, description="A larger mail is not read: its "
                                 "sender is told, in their language, to send smaller attachments.")
    email_mails_per_sender_hour: int = Field(default=20, ge=0, description="Mails one sender may have answered "
                                             "per hour; over it one notice, then silence until the hour passes; "
                                             "`0`: no limit.")
    web_session_secret: str | None = Field(
        default=None, description="Signs console session cookies; set the same value on every server. Unset: made "
        "once in the data folder (`web-secret`).")
    web_frame_ancestors: str = Field(
        default="'self'", description="CSP `frame-ancestors` of the web chat: the sites that may embed it, e.g. "
        "`'self' https://portal.example.in`.")
    web_console_notices_seconds: float = Field(
        default=10, gt=0, le=300,
        description="How often the console's queue asks for its live notices (tickets filed since it was opened, "
                    "unread SLA notices).")
    web_chat_photo_max_bytes: int = Field(
        default=10 * 1024 * 1024, gt=0,
        description="Largest photo the web chat accepts in one message (its own limit: the page downscales "
                    "photos first, so this only bounds what a browser without canvas sends).")
    web_chat_new_per_minute: int = Field(
        default=6, ge=0,
        description="New web chat conversations one client address may start per minute (0: no limit).")
    web_chat_new_per_minute_total: int = Field(
        default=300, ge=0,
        description="New web chat conversations all clients together may start per minute (0: no limit).")
    web_chat_photos_per_minute: int = Field(
        default=12, ge=0,
        description="Photos one client address may send through the web chat per minute (0: no limit).")
    web_chat_wait_seconds: float = Field(
        default=25, gt=0, le=120,
        description="How long the web chat's wait request is held open for an operator's message before the "
                    "page asks again (long polling).")
    web_chat_cookie_days: int = Field(
        default=365, gt=0, description="How long a browser keeps its web chat conversation (the hd_chat cookie).")
    # sign-in throttling (api/throttle.py): counted in the database, so every server process shares the counts
    signin_free_failures: int = Field(default=3, ge=0, description=(
        "Failed console sign-ins to one account before each further attempt must wait."))
    signin_address_free_failures: int = Field(default=10, ge=0, description=(
        "Failed console sign-ins from one client address before each further attempt from it must wait."))
    signin_delay_seconds: float = Field(default=2, gt=0, description=(
        "The wait after the first throttled failure; it doubles with each further failure (at most 5 minutes)."))
    signin_account_lockout: int = Field(default=10, ge=1, description=(
        "Failed sign-ins to one account that lock it (until the lockout ends or an admin unlocks it)."))
    signin_address_lockout: int = Field(default=30, ge=1, description=(
        "Failed sign-ins from one client address that lock that address out (higher than per account: "
        "a ULB office may share one address)."))
    signin_lockout_minutes: float = Field(default=60, gt=0, description=(
        "How long a lockout lasts unless an admin lifts it; failures older than this are forgotten."))
    # anonymous chat limits (core/chat_limits.py): web chat and HTTP chat, per client address and overall
    chat_conversations_per_address_hour: int = Field(default=30, ge=0, description=(
        "New HTTP chat conversations (users first seen) one client address may start in an hour; 0: no limit."))
    chat_conversations_overall_per_hour: int = Field(default=500, ge=0, description=(
        "New HTTP chat conversations all clients together may start in an hour (per server process); 0: no limit."))
    chat_messages_per_address_minute: int = Field(default=60, ge=0, description=(
        "Web chat and HTTP chat messages one client address may send in a minute; 0: no limit."))
    chat_messages_overall_per_minute: int = Field(default=600, ge=0, description=(
        "Web chat and HTTP chat messages all clients together may send in a minute (per server process); "
        "0: no limit."))
    chat_limit_exempt_addresses: list[str] = Field(default_factory=list, description=(
        "Client addresses free of the per-address chat limits (an integration's server that relays many users "
        "through the HTTP chat); the overall limits still apply."))
    web_chat_idle_hours: float = Field(default=24, gt=0, description=(
        "A web chat conversation that never reached a ticket is deleted after this long without a message."))
    attachment_grace_hours: float = Field(default=24, gt=0, description=(
        "An attachment file no ticket or live conversation refers to is deleted once it is this old."))
    cleanup_minutes: float = Field(default=60, gt=0, description=(
        "Period of the clean-up job (idle web chat conversations, unreferenced attachments) in `helpdesk serve`."))

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

    @field_validator("webhook_allow_networks")
    @classmethod
    def _networks(cls, networks: list[str]) -> list[str]:
        for network in networks:
            ipaddress.ip_network(network, strict=False)  # ValueError names the bad one
        return networks

    def resolved_database_url(self) -> str:
        """The configured URL, or a SQLite file in the data folder (created on first use)."""
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # users' data: the owner's alone
        return f"sqlite:///{self.data_dir / 'helpdesk.db'}"

    def team_name(self, code: str) -> str:
        return next((t.name for t in self.teams if t.code == code), code)

    def ulb_name(self, code: str) -> str:
        return next((u.name for u in self.ulbs if u.code == code), code)
