"""Personal numbers never reach the logs: Aadhaar-like (12 digits) and Indian mobile numbers are masked
in every record, keeping the last digits so that operators can still tell two of them apart."""

from __future__ import annotations

import logging
import re

# 12 digits, optionally grouped 4-4-4 by spaces or hyphens (an Aadhaar number's printed form)
AADHAAR = re.compile(r"(?<!\d)\d{4}[ -]?\d{4}[ -]?(\d{4})(?!\d)")
# an Indian mobile number: 10 digits starting 6-9 (maybe grouped 5-5), optionally after +91 / 91 / 0
PHONE = re.compile(r"(?<![\d+])(?:\+?91[ -]?|0)?[6-9]\d{4}[ -]?\d(\d{4})(?!\d)")


def mask(text: str) -> str:
    """The text with each such number replaced by X's and its last four digits."""
    text = AADHAAR.sub(lambda m: f"XXXX-XXXX-{m.group(1)}", text)
    return PHONE.sub(lambda m: f"XXXXXX{m.group(1)}", text)


class MaskingFilter(logging.Filter):
    """Rewrites each record's message masked (its arguments are merged into it first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:  # a database error quotes the statement's parameters
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Mask on every handler of `logger` (the root logger by default), present and future records alike."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
