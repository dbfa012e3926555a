"""core.db names the driver for a database URL in one place: asyncio or blocking, the same database."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from core.db import async_url, sync_url


def test_a_sqlite_file_is_opened_with_aiosqlite_by_the_server_and_sqlite3_by_tools() -> None:
    assert make_url(async_url("sqlite:///data/helpdesk.db")).drivername == "sqlite+aiosqlite"
    assert make_url(sync_url("sqlite+aiosqlite:///data/helpdesk.db")).drivername == "sqlite"
    assert make_url(sync_url("sqlite+aiosqlite:///data/helpdesk.db")).database == "data/helpdesk.db"


def test_postgresql_keeps_its_password_and_host_with_psycopg_either_way() -> None:
    url = "postgresql://desk:s3cret@db.example:5433/helpdesk"
    for converted in (async_url(url), sync_url(url)):
        parsed = make_url(converted)
        assert (parsed.drivername, parsed.password, parsed.host, parsed.port) == (
            "postgresql+psycopg", "s3cret", "db.example", 5433)


def test_another_backend_is_left_as_it_is() -> None:
    assert async_url("mysql://x@y/z") == sync_url("mysql://x@y/z") == "mysql://x@y/z"
