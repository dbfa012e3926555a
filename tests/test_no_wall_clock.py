"""No test reads the wall clock: a test that depends on the hour it runs at passes or fails by luck. Tests pass a
fixed clock (tests/clock.py) to the code under test; a stand-in server that stamps times takes one too. Elapsed
time for a poll's deadline is `time.monotonic`, which says how long, never what time it is."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
WALL_CLOCK = re.compile(
    r"\b(?:datetime|date)\s*\.\s*(?:now|utcnow|today)\s*\("  # datetime's now, utcnow and today
    r"|\butcnow\s*\(\s*\)"  # core.db's utcnow, called
    r"|\btime\s*\.\s*(?:time|time_ns|gmtime|localtime|ctime|asctime)\s*\("  # the time module's clocks
    r"|\bfrom\s+time\s+import\s+[^\n]*\b(?:time|time_ns|gmtime|localtime)\b"  # from time import time
    r"|\bfrom\s+core\.db\s+import\s+[^\n]*\butcnow\b"  # the production clock, imported to be called
    r"|\bDate\.now\s*\("  # JavaScript a test runs in the browser
)


def wall_clock_reads(root: Path) -> list[str]:
    """`path:line: text` of every line under `root` that reads the wall clock."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if path == Path(__file__).resolve():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if WALL_CLOCK.search(line):
                found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    return found


def test_no_test_reads_the_wall_clock() -> None:
    assert wall_clock_reads(TESTS) == [], "pass a fixed clock (tests/clock.py) instead"


def test_the_check_finds_each_way_of_reading_it(tmp_path: Path) -> None:
    # spelt in pieces, so that a grep of tests/ for these reads finds none here either
    reads = [f"{call}{rest}" for call, rest in [
        ("datetime.n", "ow(UTC)"), ("datetime.utc", "now()"), ("date.to", "day()"), ("utc", "now() + LATER"),
        ("time.ti", "me()"), ("int(time.ti", "me_ns())"), ("time.gm", "time()"), ("from time import ", "time"),
        ("from core.db import ", "utcnow"), ("page.evaluate('Date.n", "ow()')"),
    ]]
    (tmp_path / "test_x.py").write_text("\n".join(reads) + "\ntime.monotonic()\nSTART + timedelta(hours=1)\n")
    assert [line.split(": ", 1)[1] for line in wall_clock_reads(tmp_path)] == reads
