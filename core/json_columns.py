"""JSON columns on SQLite, written and read with orjson.

A conversation's data (its case and the transcript so far) is a JSON column written and read on every
turn; the json module took a sixteenth of a turn's time on it, orjson a fraction of that. The text is
compact and keeps non-ASCII characters as they are (Odia, Hindi) instead of escaping each one; either
form reads back the same, so rows written before stay readable. PostgreSQL's JSONB is left to psycopg.
"""

from __future__ import annotations

from typing import Any

import orjson


def json_text(value: Any) -> str:
    """`value` as JSON text; dict keys that are not strings become strings, as with the json module."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def json_value(text: str | bytes) -> Any:
    return orjson.loads(text)


# create_engine's arguments for a SQLite engine
SQLITE_JSON: dict[str, Any] = {"json_serializer": json_text, "json_deserializer": json_value}
