"""What every value from outside must be before anything stores or compares it: text without NUL characters
or lone surrogates (PostgreSQL cannot store either; SQLite would, and the two databases would disagree),
JSON nested no deeper than a person's data ever is, ids that fit a 64-bit integer, and moments in time
that carry their offset and lie in years a calendar can add a day to.

Each check raises InvalidInput naming the field, which the API answers with 422.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from core.errors import InvalidInput

MAX_ID = 2**63 - 1  # ids are 64-bit integers in the API's schema
MAX_DEPTH = 32  # JSON nesting: no payload we take (Telegram's, JIRA's, ours) comes near it
FIRST_YEAR, LAST_YEAR = 1900, 9998  # room on both sides for time zones and a day added to the end of a range
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None if it can."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate, which is not Unicode text"
    return None


def checked_text(value: str, where: str) -> str:
    problem = text_problem(value)
    if problem:
        raise InvalidInput(f"{where}: {problem}")
    return value


def checked_strings(value: Any, where: str) -> Any:
    """`value` (decoded JSON) if every string in it, keys included, is storable text; else InvalidInput."""
    stack: list[tuple[Any, str]] = [(value, where)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            checked_text(item, at)
        elif isinstance(item, dict):
            for key, child in item.items():
                checked_text(str(key), at)
                stack.append((child, f"{at}.{key}"))
        elif isinstance(item, list):
            stack.extend((child, f"{at}.{i}") for i, child in enumerate(item))
    return value


def nesting(body: bytes) -> int:
    """How deeply the JSON text nests arrays and objects (brackets inside strings do not count)."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub(b'""', body)):
        depth += 1 if bracket in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest


def loads(body: bytes, where: str = "body") -> Any:
    """The JSON document in `body`, refused (InvalidInput) if it is not JSON, nests too deeply, or holds text
    that cannot be stored."""
    if nesting(body) > MAX_DEPTH:
        raise InvalidInput(f"{where}: JSON nested deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as err:
        raise InvalidInput(f"{where}: not valid JSON") from err
    return checked_strings(value, where)


def checked_moment(value: datetime, where: str) -> datetime:
    """A moment with its UTC offset, in years the calendar code can work with."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{where}: give the time with its offset, e.g. 2026-12-01T09:30:00+05:30")
    checked_day(value.date(), where)
    return value


def checked_day(value: date, where: str) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise InvalidInput(f"{where}: the year must be between {FIRST_YEAR} and {LAST_YEAR}")
    return value
