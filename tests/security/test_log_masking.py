"""Aadhaar-like and phone numbers never appear in logs; the last four digits stay to tell them apart."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from core.logmask import MaskingFilter, mask


@pytest.mark.parametrize(("said", "logged"), [
    ("my aadhaar is 2345 6789 0123", "my aadhaar is XXXX-XXXX-0123"),
    ("aadhaar 234567890123.", "aadhaar XXXX-XXXX-0123."),
    ("call me on 9876543210", "call me on XXXXXX3210"),
    ("call +91 98765 43210?", "call XXXXXX3210?"),
    ("call +91-9876543210 now", "call XXXXXX3210 now"),
    ("ticket HD-000123 on 2026-11-22, bill 1234", "ticket HD-000123 on 2026-11-22, bill 1234"),
])
def test_numbers_are_masked(said: str, logged: str) -> None:
    assert mask(said) == logged


def test_a_log_record_and_its_arguments_and_traceback_are_masked() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskingFilter())
    log = logging.getLogger("test.masking")
    log.addHandler(handler)
    try:
        log.warning("user %s sent %r", "http:9123456789", "aadhaar 1111 2222 3333")
        try:
            raise ValueError("INSERT ... [parameters: ('9123456789',)]")
        except ValueError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    written = stream.getvalue()
    assert "9123456789" not in written and "1111 2222 3333" not in written
    assert "XXXXXX6789" in written and "XXXX-XXXX-3333" in written


def test_the_cli_masks_what_the_engine_logs(tmp_path: Path) -> None:
    """A real `helpdesk chat --json` process: the slow-down warning names the user, whose id is a phone."""
    env = {"HELPDESK_DATA_DIR": str(tmp_path), "HELPDESK_CHAT_MESSAGES_PER_MINUTE": "1", "PATH": "/usr/bin:/bin"}
    lines = "".join('{"user": "9123456789", "text": "hello"}\n' for _ in range(2))
    done = subprocess.run([sys.executable, "-m", "app", "chat", "--json"], input=lines, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert "slow down" in done.stderr, done.stderr
    assert "9123456789" not in done.stderr and "XXXXXX6789" in done.stderr


def test_uvicorns_own_log_lines_are_masked_too(capsys: pytest.CaptureFixture[str]) -> None:
    """uvicorn's handlers do not propagate to the root logger; `helpdesk serve` masks them as well."""
    from fastapi import FastAPI

    from app.server_cli import Listen, masked_server

    masked_server(FastAPI(), Listen("127.0.0.1", 0))
    logging.getLogger("uvicorn.error").error("Exception in ASGI application for +91 98765 43210")
    err = capsys.readouterr().err
    assert "XXXXXX3210" in err and "98765" not in err
