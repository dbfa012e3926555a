"""Expiry times as people write them: `30d`, `12h`, `90m`, or a date (`2027-03-31`, the end of that day UTC)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from core.errors import InvalidInput

_SPAN = re.compile(r"(\d{1,5})([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_expiry(text: str, now: datetime) -> datetime:
    """The moment `text` names, after `now`; InvalidInput naming the field if it is neither a span nor a date."""
    value = text.strip().lower()
    span = _SPAN.fullmatch(value)
    if span:
        amount = int(span.group(1))
        if amount == 0:
            raise InvalidInput("expires: a span must be longer than zero")
        return now + timedelta(**{_UNITS[span.group(2)]: amount})
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as err:
        raise InvalidInput(f"expires: expected a span like 30d, 12h or 90m, or a date like 2027-03-31, "
                           f"not {text!r}") from err
    if len(value) == 10:  # a bare date: valid through that whole day
        moment = datetime.combine(moment.date(), time.max)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if moment <= now:
        raise InvalidInput(f"expires: {text!r} is already past")
    return moment
