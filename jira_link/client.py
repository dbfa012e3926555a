"""Opening the `jira` client from settings, and telling a passing JIRA failure from a lasting one."""

from __future__ import annotations

import requests
from jira import JIRA, JIRAError

from core.errors import InvalidInput
from core.settings import Settings
from tickets.delivery import DeliveryError

TIMEOUT_S = 20.0
RETRYABLE_STATUSES = frozenset({401, 403, 408, 409, 429})  # 401/403: credentials may be fixed meanwhile


def connect(settings: Settings) -> JIRA:
    """A client for the configured JIRA (blocking: call it in a thread). Basic auth with the account's
    e-mail and API token when HELPDESK_JIRA_USER is set (JIRA Cloud), else the token as a personal access
    token (JIRA Server/Data Center). The client's own retries are off: the outbox retries, with backoff."""
    if not settings.jira_url or not settings.jira_token:
        raise InvalidInput("HELPDESK_JIRA_URL and HELPDESK_JIRA_TOKEN must both be set to reach JIRA")
    if settings.jira_user:
        return JIRA(settings.jira_url, basic_auth=(settings.jira_user, settings.jira_token), max_retries=0,
                    timeout=TIMEOUT_S)
    return JIRA(settings.jira_url, token_auth=settings.jira_token, max_retries=0, timeout=TIMEOUT_S)


def describe(err: Exception) -> str:
    """One line on what went wrong, with JIRA's own error text when it gave one."""
    if isinstance(err, JIRAError):
        return f"HTTP {err.status_code} from {err.url}: {(err.text or '').strip()[:300]}"
    return f"{type(err).__name__}: {err}"


def delivery_error(err: Exception) -> DeliveryError:
    """JIRA down, slow, rate-limiting or erring (5xx) is retried; a refusal of what we sent is not."""
    if isinstance(err, JIRAError):
        status = err.status_code or 0
        return DeliveryError(describe(err), retryable=status >= 500 or status in RETRYABLE_STATUSES or status == 0)
    if isinstance(err, requests.RequestException | OSError):
        return DeliveryError(describe(err), retryable=True)
    return DeliveryError(describe(err), retryable=False)
