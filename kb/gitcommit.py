"""A git commit per approved knowledge-base change, when the content folder is a git checkout."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)
GIT_TIMEOUT_S = 30


def _git(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    git = shutil.which("git") or "git"
    return subprocess.run([git, "-C", str(directory), *args], capture_output=True, text=True,  # noqa: S603
                          timeout=GIT_TIMEOUT_S, check=False)


def commit_file(path: Path, message: str, author: str) -> str | None:
    """Commit this one file with `message`; the new commit's hash, or None when not in a git checkout."""
    directory = path.parent
    if shutil.which("git") is None or _git(directory, "rev-parse", "--is-inside-work-tree").returncode != 0:
        return None
    added = _git(directory, "add", "--", path.name)
    done = _git(directory, "-c", f"user.name={author}", "-c", f"user.email={author}@helpdesk.invalid",
                "commit", "-m", message, "--", path.name) if added.returncode == 0 else added
    if done.returncode != 0:
        log.warning("could not commit %s: %s", path, (done.stderr or done.stdout).strip())
        return None
    return _git(directory, "rev-parse", "HEAD").stdout.strip() or None
