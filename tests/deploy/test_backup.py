"""`helpdesk backup` / `restore`: a backup taken while `helpdesk serve` files tickets restores every ticket
filed before it, consistent; attachments travel with the database; a restore never overwrites by accident."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.backup import BackupError, backup, restore
from core.db import sync_url, upgrade
from tests.jsonchat import helpdesk, helpdesk_env
from tests.serving import serving

KEY = {"X-Channel-Key": "portal-secret"}
FIXED_NOW = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)


class HttpUser:
    """A user of the HTTP chat channel who picks options by their words, as a person reading them would."""

    def __init__(self, client: httpx.Client, user: str) -> None:
        self.client, self.user = client, user
        self.last: dict[str, Any] = {}

    def say(self, text: str) -> dict[str, Any]:
        answer = self.client.post("/chat/messages", json={"user": self.user, "text": text}, headers=KEY)
        assert answer.status_code == 200, answer.text
        self.last = answer.json()
        return self.last

    def choose(self, words: str) -> dict[str, Any]:
        labels = [c["label"] for r in self.last["replies"] for c in r["choices"]]
        label = next((lab for lab in labels if words.lower() in lab.lower()), None)
        assert label, f"no option like {words!r} in {labels}"
        return self.say(label)

    def file_ticket(self) -> str:
        self.say("hello")
        for words in ("English", "Junior", "Jatni"):
            self.choose(words)
        self.say("The attendance page shows an error and the muster roll total is wrong")
        if self.last["state"] == "offering_faq":
            self.choose("not my problem")
        for words in ("muster roll", "not working", "only for me", "No"):
            self.choose(words)
        number = self.choose("file it")["ticket"]
        assert number, self.last
        return str(number)


def _target(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database to restore into, of the same kind as `database_url`."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'helpdesk.db'}"
        return
    server = make_url(sync_url(database_url))
    name = f"{server.database}_restored"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def target(database_url: str, tmp_path: Path) -> Iterator[str]:
    yield from _target(database_url, tmp_path)


def test_a_backup_taken_while_serve_files_tickets_restores_every_ticket_filed_before_it(
    database_url: str, target: str, tmp_path: Path
) -> None:
    env = helpdesk_env(database_url, tmp_path / "data") | {"HELPDESK_CHANNEL_KEYS": '{"portal": "portal-secret"}',
                                                         "HELPDESK_CHAT_LIMIT_EXEMPT_ADDRESSES": '["127.0.0.1"]'}
    archive = tmp_path / "backups" / "helpdesk.tar.gz"
    filed: list[str] = []
    stop = threading.Event()
    with serving(env) as url, httpx.Client(base_url=url, timeout=30) as client:
        filed.append(HttpUser(client, "before").file_ticket())

        def keep_filing() -> None:
            with httpx.Client(base_url=url, timeout=30) as own:
                for i in range(20):
                    if stop.is_set():
                        return
                    filed.append(HttpUser(own, f"during-{i}").file_ticket())

        filer = threading.Thread(target=keep_filing)
        filer.start()
        try:
            while len(filed) < 2 and filer.is_alive():
                stop.wait(0.05)
            before_backup = list(filed)  # every ticket the server had confirmed when the backup started
            taken = helpdesk(env, "backup", str(archive))
        finally:
            stop.set()
            filer.join(timeout=120)
    assert taken.returncode == 0, taken.stderr
    assert archive.stat().st_mode & 0o077 == 0, "the archive holds users' data: owner-only"

    restored_env = helpdesk_env(target, tmp_path / "restored")
    done = helpdesk(restored_env, "restore", str(archive))
    assert done.returncode == 0, done.stderr
    engine = create_engine(sync_url(target))
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT number, module, transcript FROM tickets")).all()
        if target.startswith("sqlite"):
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
    engine.dispose()
    numbers = {row.number for row in rows}
    assert set(before_backup) <= numbers, f"lost: {set(before_backup) - numbers}"
    assert numbers <= set(filed), "nothing appears that the server never filed"
    assert all(row.module == "attendance" and row.transcript for row in rows), "every ticket came back whole"


def test_attachments_travel_with_the_database_and_a_restore_never_overwrites_by_accident(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'helpdesk.db'}"
    (tmp_path / "data").mkdir()
    upgrade(url)
    photos = tmp_path / "data" / "attachments"
    (photos / "ab").mkdir(parents=True)
    (photos / "ab" / "screenshot.png").write_bytes(b"\x89PNG fake but precious")
    archive = tmp_path / "b.tar.gz"
    manifest = backup(url, photos, archive, FIXED_NOW)
    assert (manifest.database, manifest.attachments, manifest.taken_at) == ("sqlite", 1, FIXED_NOW.isoformat())

    with pytest.raises(BackupError, match="pass --force"):
        restore(archive, url, photos)
    elsewhere = tmp_path / "new"
    restore(archive, f"sqlite:///{elsewhere / 'helpdesk.db'}", elsewhere / "attachments")
    assert (elsewhere / "attachments" / "ab" / "screenshot.png").read_bytes() == b"\x89PNG fake but precious"
    assert (elsewhere / "helpdesk.db").stat().st_mode & 0o077 == 0


def test_a_file_that_is_not_a_backup_is_refused_with_its_name(tmp_path: Path) -> None:
    bogus = tmp_path / "holiday-photos.tar.gz"
    bogus.write_bytes(b"not an archive")
    with pytest.raises(BackupError, match=r"holiday-photos\.tar\.gz is not a helpdesk backup"):
        restore(bogus, f"sqlite:///{tmp_path / 'x.db'}", tmp_path / "att")


def test_an_archive_of_one_database_kind_is_not_restored_into_the_other(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'helpdesk.db'}"
    (tmp_path / "data").mkdir()
    upgrade(url)
    archive = tmp_path / "b.tar.gz"
    backup(url, tmp_path / "none", archive, FIXED_NOW)
    with pytest.raises(BackupError, match="holds a sqlite database but the target is postgresql"):
        restore(archive, "postgresql://nobody@127.0.0.1:1/none", tmp_path / "att")
