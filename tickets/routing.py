"""Which team handles a ticket, and how soon the user can expect a first response."""

from __future__ import annotations

from core.settings import Settings

BUSINESS_DAY_HOURS = 9


def route(category: str, settings: Settings) -> str:
    """The team code for a category (functional -> Master Trainers, technical -> state, bug -> vendor)."""
    try:
        return settings.routes[category]
    except KeyError as err:
        raise ValueError(f"no route configured for category {category!r} (HELPDESK_ROUTES)") from err


def response_target(priority: str, settings: Settings) -> tuple[int, str]:
    """(amount, unit) of the first-response target: whole business days when it is a multiple of 9 hours."""
    hours = settings.response_hours[priority]
    if hours % BUSINESS_DAY_HOURS == 0:
        return hours // BUSINESS_DAY_HOURS, "business_days"
    return hours, "business_hours"
