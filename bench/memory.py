"""Peak memory of `helpdesk serve` when idle: with the shipped knowledge base, and with a generated one.

    python -m bench.memory [--entries 10000] [--phrasings 5] [--vectors PATH] [--idle 5] [--format json]

Each server starts on a fresh SQLite file, answers /healthz and one queue request, then idles for `--idle`
seconds; the figure is its peak resident set (VmHWM from /proc). When a static vector table exists (`make vectors`
puts one in the data folder; or --vectors PATH), each knowledge base is measured again with it loaded.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench.api_load import HELPDESK, serving
from bench.machine import machine
from core.settings import Settings
from kb.semantic import DEFAULT_FILE
from kb.synthetic import generated_entries


def peak_rss_mib(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            fields[key] = round(int(value.split()[0]) / 1024, 1)
    return {"peak_rss_mib": fields["VmHWM"], "rss_mib": fields["VmRSS"]}


def write_generated_kb(folder: Path, count: int, phrasings: int) -> None:
    entries = generated_entries(count, phrasings)
    folder.mkdir(parents=True)
    for part in range(10):
        text = yaml.safe_dump({"entries": entries[part::10]}, allow_unicode=True)
        (folder / f"part{part}.yaml").write_text(text, encoding="utf-8")


def measure_server(work: Path, kb_dir: Path | None, vectors: Path | None, idle_s: float) -> dict[str, Any]:
    data = work / "data"
    data.mkdir(parents=True)
    if vectors is not None:
        shutil.copy(vectors, data / DEFAULT_FILE)
    env = os.environ | {"HELPDESK_DATA_DIR": str(data), "HELPDESK_DATABASE_URL": f"sqlite:///{data / 'h.db'}"}
    if kb_dir is not None:
        env["HELPDESK_KB_DIR"] = str(kb_dir)
    token = subprocess.run([HELPDESK, "tokens", "create", "--name", "bench", "--role", "operator"], env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    started = time.monotonic()
    with serving(env) as (base, pid):
        ready_s = time.monotonic() - started
        httpx.get(f"{base}/api/tickets", headers={"Authorization": f"Bearer {token}"}, timeout=30).raise_for_status()
        time.sleep(idle_s)
        return {"ready_s": round(ready_s, 1), **peak_rss_mib(pid)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--phrasings", type=int, default=5)
    parser.add_argument("--vectors", type=Path, help="a static vector table (kb-vectors.npz) to load as well")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds to idle before reading the peak")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args()
    table = args.vectors or Settings().data_dir / DEFAULT_FILE
    tables = [None, table] if table.exists() else [None]
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        write_generated_kb(work / "kb", args.entries, args.phrasings)
        generated = f"generated KB ({args.entries:,} entries x {args.phrasings} phrasings)"
        for n, vectors in enumerate(tables):
            suffix = " + vectors" if vectors else ""
            results["shipped KB" + suffix] = measure_server(work / f"shipped{n}", None, vectors, args.idle)
            results[generated + suffix] = measure_server(work / f"generated{n}", work / "kb", vectors, args.idle)
    report = {"benchmark": "memory", "machine": machine(), "results": results}
    if args.format == "json":
        print(json.dumps(report, indent=2))
        return
    for name, figures in results.items():
        print(f"  helpdesk serve, {name:45} peak RSS {figures['peak_rss_mib']:7.1f} MiB"
              f"  (ready in {figures['ready_s']} s)")


if __name__ == "__main__":
    main()
