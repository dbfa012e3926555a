"""How long the `helpdesk` command takes to start: `--help` and one `kb match`, beside a bare Python start-up
measured in the same run (the machine is shared; compare the ratios, and the CPU time, which load moves less).

    python -m bench.cli_startup [--runs 10] [--warmup 2] [--format json]

Each command runs `--runs` times after `--warmup` unmeasured runs, the commands interleaved so a change in
the machine's load falls on all of them alike. Wall time is what a person waits; CPU time (user + system of
the child) is the work the command does.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.machine import machine

VENV_BIN = Path(sys.executable).parent
COMMANDS: dict[str, list[str]] = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "helpdesk --help": [str(VENV_BIN / "helpdesk"), "--help"],
    'helpdesk kb match "OTP not received"': [str(VENV_BIN / "helpdesk"), "kb", "match", "OTP not received"],
    # an Odia question: routed to the multilingual encoder alone (a Latin one to MiniLM alone)
    'helpdesk kb match "ଓଟିପି ଆସୁନାହିଁ"': [str(VENV_BIN / "helpdesk"), "kb", "match", "ଓଟିପି ଆସୁନାହିଁ"],
}
TARGETS_S = {"helpdesk --help": 0.5, 'helpdesk kb match "OTP not received"': 1.5}  # issue 20


def timed(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of `command` (its output discarded)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command} failed with {process.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def measure(runs: int, warmup: int) -> dict[str, Any]:
    for _ in range(warmup):
        for command in COMMANDS.values():
            timed(command)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, command in COMMANDS.items():
            samples[name].append(timed(command))
    base = statistics.median(wall for wall, _ in samples["python -c pass"])
    figures = {}
    for name, runs_of in samples.items():
        walls, cpus = [w for w, _ in runs_of], [c for _, c in runs_of]
        figures[name] = {
            "wall_median_s": round(statistics.median(walls), 3), "wall_min_s": round(min(walls), 3),
            "cpu_median_s": round(statistics.median(cpus), 3),
            "vs_bare_python": round(statistics.median(walls) / base, 1),
            "target_s": TARGETS_S.get(name), "wall_s": [round(w, 3) for w in walls],
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    options = parser.parse_args()
    started = machine()
    figures = measure(options.runs, options.warmup)
    result = {"machine": started, "load_average_after": [round(x, 2) for x in os.getloadavg()],
              "runs": options.runs, "commands": figures}
    if options.format == "json":
        print(json.dumps(result, indent=2))
        return
    print(f"load average {started['load_average']} -> {result['load_average_after']}, {options.runs} runs each")
    for name, figure in figures.items():
        target = f" (target {figure['target_s']} s)" if figure["target_s"] else ""
        print(f"{name:40} wall median {figure['wall_median_s']:.3f} s, min {figure['wall_min_s']:.3f} s, "
              f"CPU {figure['cpu_median_s']:.3f} s, x{figure['vs_bare_python']} bare python{target}")


if __name__ == "__main__":
    main()
