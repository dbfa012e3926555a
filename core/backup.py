"""Backups of a deployment: the database and the attachment files, in one tar.gz archive.

SQLite is copied with its online backup API, so a backup taken while `helpdesk serve` writes is one
consistent snapshot of the database (a writer waits a moment; nothing stops). PostgreSQL is dumped with
`pg_dump --format=custom` and restored with `pg_restore`, the clients of the server's own version. The
attachment files are copied after the database: every file a backed-up row refers to was written before
that row, so it is in the archive (files newer than the snapshot may be there too, unreferenced and
harmless).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from core.db import copy_sqlite_file, is_sqlite

DATABASE_SQLITE = "helpdesk.db"
DATABASE_DUMP = "helpdesk.pgdump"
ATTACHMENTS = "attachments"
MANIFEST = "manifest.json"
FORMAT = 1


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    """What an archive holds: its format, the database kind, when it was taken, how many files."""

    format: int
    database: str  # "sqlite" or "postgresql"
    taken_at: str
    attachments: int


def _sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("the SQLite database is in memory: there is nothing on disk to back up")
    return Path(database)


def _pg_env(url: str) -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore connection arguments; the password goes in the environment, not the command line."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    args = [f"--host={parsed.host or '127.0.0.1'}", f"--port={parsed.port or 5432}",
            f"--username={parsed.username or 'postgres'}", f"--dbname={parsed.database or 'postgres'}"]
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(f"{command[0]} is not installed: install the PostgreSQL client of the server's version")
    done = subprocess.run([tool, *command[1:]], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-500:]}")


def backup(url: str, attachments_dir: Path, archive: Path, now: datetime) -> Manifest:
    """Write the database and the attachments to `archive` (a .tar.gz, created owner-only)."""
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        if is_sqlite(url):
            kind, name = "sqlite", DATABASE_SQLITE
            source = _sqlite_file(url)
            if not source.exists():
                raise BackupError(f"no database at {source}: check HELPDESK_DATA_DIR / HELPDESK_DATABASE_URL")
            copy_sqlite_file(source, work / name)
        else:
            kind, name = "postgresql", DATABASE_DUMP
            args, env = _pg_env(url)
            _run(["pg_dump", "--format=custom", "--no-owner", f"--file={work / name}", *args], env)
        files = sorted(p for p in attachments_dir.rglob("*") if p.is_file()) if attachments_dir.exists() else []
        manifest = Manifest(FORMAT, kind, now.isoformat(), len(files))
        (work / MANIFEST).write_text(json.dumps(manifest.__dict__, indent=2))
        archive.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(archive, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out, tarfile.open(fileobj=out, mode="w:gz") as tar:
            tar.add(work / MANIFEST, arcname=MANIFEST)
            tar.add(work / name, arcname=name)
            for path in files:
                tar.add(path, arcname=f"{ATTACHMENTS}/{path.relative_to(attachments_dir)}")
    return manifest


def read_manifest(archive: Path) -> Manifest:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            data = json.loads(member.read())
    except (OSError, tarfile.TarError, KeyError, json.JSONDecodeError) as err:
        raise BackupError(f"{archive} is not a helpdesk backup: {err}") from err
    if data.get("format") != FORMAT:
        raise BackupError(f"{archive} has backup format {data.get('format')}; this version reads {FORMAT}")
    return Manifest(**data)


def restore(archive: Path, url: str, attachments_dir: Path, *, force: bool = False) -> Manifest:
    """Put an archive's database and attachments in place; refuses to overwrite a database unless `force`."""
    manifest = read_manifest(archive)
    kind = "sqlite" if is_sqlite(url) else "postgresql"
    if manifest.database != kind:
        raise BackupError(f"the archive holds a {manifest.database} database but the target is {kind}")
    with tempfile.TemporaryDirectory() as scratch, tarfile.open(archive, "r:gz") as tar:
        tar.extractall(scratch, filter="data")  # refuses absolute paths, links out of the folder, devices
        work = Path(scratch)
        if kind == "sqlite":
            target = _sqlite_file(url)
            if target.exists() and not force:
                raise BackupError(f"{target} exists: stop the server and pass --force to replace it")
            target.parent.mkdir(parents=True, exist_ok=True)
            for stale in (target, target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
                stale.unlink(missing_ok=True)
            shutil.copyfile(work / DATABASE_SQLITE, target)
            target.chmod(0o600)
        else:
            args, env = _pg_env(url)
            clean = ["--clean", "--if-exists"] if force else []
            _run(["pg_restore", "--no-owner", "--exit-on-error", *clean, *args, str(work / DATABASE_DUMP)], env)
        saved = work / ATTACHMENTS
        if saved.exists():
            shutil.copytree(saved, attachments_dir, dirs_exist_ok=True)
    return manifest
