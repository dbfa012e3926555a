"""The full crash soak (not part of the suite): `python -m tests.soak.run_soak --users 200 --kills 50`.

Prints one line of figures per database; exits 1 when anything was lost, duplicated or left undelivered.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from core.db import upgrade
from tests.soak.harness import Server, Soak, operator_token, soak_env


def run(database_url: str, users: int, kills: int, seed: int, timeout_s: float) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        upgrade(database_url)
        env = soak_env(database_url, Path(tmp) / "data")
        server = Server(env)
        soak = Soak(server, operator_token(env), users, kills, seed)
        try:
            asyncio.run(soak.run(timeout_s))
        finally:
            server.stop()
        report = soak.report(database_url)
    print(f"{database_url.split(':')[0]}: {report.line()}")
    for problem in report.state_mismatches + report.problems:
        print("  ", problem)
    return not (report.lost or report.duplicated or report.replies_undelivered or report.replies_shown_twice
                or report.state_mismatches or report.problems or report.completed != report.users)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds for the whole run")
    parser.add_argument("--database-url", action="append", default=[],
                        help="an empty database to soak (repeatable); default: a new SQLite file")
    args = parser.parse_args()
    urls = args.database_url
    if not urls:
        urls = [f"sqlite:///{tempfile.mkdtemp()}/soak.db"]
    ok = all([run(url, args.users, args.kills, args.seed, args.timeout) for url in urls])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
