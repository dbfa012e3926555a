"""The command line starts fast because a command loads only what it uses: `--help` none of the command
groups, `kb match` the knowledge base but not the database, the web server or the Telegram client."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from app.cli import LAZY

SERVER_PACKAGES = {"sqlalchemy", "fastapi", "uvicorn", "telegram", "alembic", "jira", "twilio", "api", "bot", "web"}
LOADED = """
import json, sys
from app.cli import main
sys.argv = ["helpdesk", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def loaded_by(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", LOADED, *args], capture_output=True, text=True, timeout=120,
                          check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_help_loads_no_command_group() -> None:
    loaded = loaded_by("--help")
    assert not loaded & (SERVER_PACKAGES | {"kb", "flows", "tickets", "numpy", "rich"})


def test_kb_match_loads_the_knowledge_base_but_not_the_server() -> None:
    loaded = loaded_by("kb", "match", "OTP not received")
    assert "kb" in loaded
    assert not loaded & (SERVER_PACKAGES | {"rich"})


@pytest.mark.parametrize("name", sorted(LAZY))
def test_the_help_lists_each_group_with_its_own_summary(name: str) -> None:
    command = LAZY[name].load(name)
    assert command.name == name
    assert command.help.strip() == LAZY[name].summary
