"""`helpdesk doctor`: a fresh install reads all-clear; each broken thing is named on a line of its own."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.doctor import Finding, diagnose
from core.db import sync_url, upgrade
from core.settings import Settings
from tests.jsonchat import helpdesk_env

NOW = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)  # 10:30 IST


def by_topic(findings: list[Finding]) -> dict[str, Finding]:
    return {f.topic: f for f in findings}


def fresh(database_url: str, tmp_path: Path, **changes: object) -> Settings:
    return Settings(database_url=database_url, data_dir=tmp_path / "data", **changes)  # type: ignore[arg-type]


def test_a_fresh_install_is_all_clear(database_url: str, tmp_path: Path) -> None:
    findings = diagnose(fresh(database_url, tmp_path), NOW)
    assert [f for f in findings if f.status != "ok"] == []
    topics = by_topic(findings)
    assert set(topics) >= {"data folder", "attachments", "database", "migrations", "knowledge base", "secrets",
                           "telegram", "voice", "jira", "clock"}
    assert "10:30 Asia/Kolkata" in topics["clock"].message
    assert "the newest this version knows" in topics["migrations"].message


def test_a_database_server_whose_clock_is_off_is_a_warning(database_url: str, tmp_path: Path) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has no server clock")
    engine = create_engine(sync_url(database_url))
    with engine.connect() as conn:
        server_now = conn.execute(text("SELECT now()")).scalar_one()
    engine.dispose()
    in_step = by_topic(diagnose(fresh(database_url, tmp_path), NOW, clock=lambda: server_now))
    assert "clock" not in in_step or in_step["clock"].status == "ok"
    off = [f for f in diagnose(fresh(database_url, tmp_path), NOW, clock=lambda: server_now + timedelta(minutes=5))
           if f.topic == "clock" and f.status == "warn"]
    assert off and "run NTP on both" in off[0].message


def test_an_unreachable_database_is_named_without_its_password(tmp_path: Path) -> None:
    settings = fresh("postgresql://helpdesk:s3cret@127.0.0.1:1/helpdesk", tmp_path)
    database = by_topic(diagnose(settings, NOW))["database"]
    assert database.status == "fail" and "cannot reach postgresql" in database.message
    assert "s3cret" not in database.message and "***" in database.message


@contextmanager
def schema_version(database_url: str, version: str) -> Iterator[None]:
    """The database claims another schema version for a while (the test database is shared afterwards)."""
    engine = create_engine(sync_url(database_url))
    with engine.begin() as conn:
        real = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": version})
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": real})
        engine.dispose()


def test_a_database_behind_the_code_is_told_to_upgrade(database_url: str, tmp_path: Path) -> None:
    with schema_version(database_url, "0001"):
        migrations = by_topic(diagnose(fresh(database_url, tmp_path), NOW))["migrations"]
    assert migrations.status == "warn" and "schema at 0001" in migrations.message
    assert "helpdesk db upgrade" in migrations.message


def test_a_database_from_a_newer_version_fails(database_url: str, tmp_path: Path) -> None:
    with schema_version(database_url, "9999"):
        migrations = by_topic(diagnose(fresh(database_url, tmp_path), NOW))["migrations"]
    assert migrations.status == "fail" and "newer helpdesk" in migrations.message


def test_a_data_folder_that_cannot_be_written_fails(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'h.db'}", data_dir=blocker)
    upgrade(settings.resolved_database_url())
    folder = by_topic(diagnose(settings, NOW))["data folder"]
    assert folder.status == "fail" and "is not writable" in folder.message


def test_a_world_readable_data_folder_is_a_warning(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'h.db'}", data_dir=tmp_path / "data")
    settings.data_dir.mkdir(mode=0o755)
    settings.data_dir.chmod(0o755)
    folder = by_topic(diagnose(settings, NOW))["data folder"]
    assert folder.status == "warn" and "chmod 700" in folder.message


@pytest.mark.parametrize(("changes", "topic", "words"), [
    ({"telegram_token": "not-a-token"}, "telegram", "does not look like a BotFather token"),
    ({"voice_auth_token": "x", "voice_public_url": "http://helpdesk.example.org"}, "voice", "https://"),
    ({"jira_url": "https://egov.atlassian.net"}, "jira", "HELPDESK_JIRA_TOKEN is not"),
    ({"timezone": "Asia/Bhubaneswar"}, "timezone", "not a known time zone"),
])
def test_each_wrong_setting_is_named(tmp_path: Path, changes: dict[str, object], topic: str, words: str) -> None:
    settings = fresh(f"sqlite:///{tmp_path / 'h.db'}", tmp_path, **changes)
    finding = by_topic(diagnose(settings, NOW))[topic]
    assert finding.status == "fail" and words in finding.message


def test_a_clock_years_behind_fails(tmp_path: Path) -> None:
    clock = by_topic(diagnose(fresh(f"sqlite:///{tmp_path / 'h.db'}", tmp_path),
                              datetime(2001, 1, 1, tzinfo=UTC)))["clock"]
    assert clock.status == "fail" and "NTP" in clock.message


def test_several_replicas_without_a_shared_session_secret_warn(tmp_path: Path) -> None:
    secrets = by_topic(diagnose(fresh(f"sqlite:///{tmp_path / 'h.db'}", tmp_path), NOW, processes=2))["secrets"]
    assert secrets.status == "warn" and "HELPDESK_WEB_SESSION_SECRET" in secrets.message


def test_the_command_reports_unparseable_settings_and_exits_1(tmp_path: Path) -> None:
    env = helpdesk_env(f"sqlite:///{tmp_path / 'h.db'}", tmp_path / "data") | {"HELPDESK_SLA_SWEEP_SECONDS": "often"}
    done = subprocess.run([sys.executable, "-m", "app", "doctor"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 1
    assert "fail settings: HELPDESK_SLA_SWEEP_SECONDS:" in done.stdout
    other = subprocess.run([sys.executable, "-m", "app", "tickets", "list"], env=env, capture_output=True,
                           text=True, timeout=120, check=False)
    assert other.returncode == 2 and "HELPDESK_SLA_SWEEP_SECONDS" in other.stderr and "Traceback" not in other.stderr


def test_the_command_on_a_fresh_install_says_ready(tmp_path: Path) -> None:
    env = helpdesk_env(f"sqlite:///{tmp_path / 'data' / 'h.db'}", tmp_path / "data")
    done = subprocess.run([sys.executable, "-m", "app", "doctor"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == "ready"
