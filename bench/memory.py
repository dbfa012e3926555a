"""Peak memory of `helpdesk serve` when idle: with the shipped knowledge base, and with a generated one.

    python -m bench.memory [--entries 10000] [--phrasings 5] [--vectors PATH] [--idle 5] [--format json]

Each server starts on a fresh SQLite file, answers /healthz and one queue request, then idles for `--idle`
seconds; the figures are its peak and current resident set (VmHWM, VmRSS from /proc), its threads, and the CPU
it used while idle (a thread pool that spins shows there). Lexical-only servers run with HELPDESK_SEMANTIC=false;
the shipped knowledge base is measured again with every sentence encoder loaded and its entry vectors already
in the data folder's cache (encoded once beforehand, as a server that ran before would find them). When a
static vector table exists (`make vectors` puts one in the data folder; or --vectors PATH), each knowledge base
is measured again with it loaded. Prints figures; asserts nothing.
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
from kb.encoded import CACHE_FOLDER
from kb.semantic import DEFAULT_FILE
from kb.synthetic import generated_entries


def peak_rss_mib(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS", "Threads"):
            fields[key] = int(value.split()[0])
    return {"peak_rss_mib": round(fields["VmHWM"] / 1024, 1), "rss_mib": round(fields["VmRSS"] / 1024, 1),
            "threads": fields["Threads"]}  # fmt: skip


def cpu_seconds(pid: int) -> float:
    """User and system CPU the process has used so far (every thread's)."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def encode_shipped_kb(data: Path) -> float:
    """Encode the shipped knowledge base's entry vectors into `data`'s cache; the seconds it took."""
    from app.wiring import load_matcher

    started = time.monotonic()
    load_matcher(Settings(data_dir=data, semantic=True), background=False)
    return round(time.monotonic() - started, 1)


def write_generated_kb(folder: Path, count: int, phrasings: int) -> None:
    entries = generated_entries(count, phrasings)
    folder.mkdir(parents=True)
    for part in range(10):
        text = yaml.safe_dump({"entries": entries[part::10]}, allow_unicode=True)
        (folder / f"part{part}.yaml").write_text(text, encoding="utf-8")


def measure_server(
    work: Path, kb_dir: Path | None, vectors: Path | None, idle_s: float, encoded: Path | None = None
) -> dict[str, Any]:
    """With `encoded` (a data folder whose entry-vector cache is filled), every sentence encoder is loaded."""
    data = work / "data"
    data.mkdir(parents=True)
    if vectors is not None:
        shutil.copy(vectors, data / DEFAULT_FILE)
    if encoded is not None:
        shutil.copytree(encoded / CACHE_FOLDER, data / CACHE_FOLDER)
    env = os.environ | {"HELPDESK_DATA_DIR": str(data), "HELPDESK_DATABASE_URL": f"sqlite:///{data / 'h.db'}",
                        "HELPDESK_SEMANTIC": "true" if encoded is not None else "false"}  # fmt: skip
    if kb_dir is not None:
        env["HELPDESK_KB_DIR"] = str(kb_dir)
    token = subprocess.run([HELPDESK, "tokens", "create", "--name", "bench", "--role", "operator"], env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    started = time.monotonic()
    with serving(env) as (base, pid):
        ready_s = time.monotonic() - started
        httpx.get(f"{base}/api/tickets", headers={"Authorization": f"Bearer {token}"}, timeout=30).raise_for_status()
        time.sleep(1.0)  # the first SLA sweep of an empty database
        before = cpu_seconds(pid)
        time.sleep(idle_s)
        idle_cpu = (cpu_seconds(pid) - before) / idle_s
        return {"ready_s": round(ready_s, 1), **peak_rss_mib(pid), "idle_cpu_share": round(idle_cpu, 3)}


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
        encoded = work / "encoded"
        encode_s = encode_shipped_kb(encoded)
        results["shipped KB + every encoder, cached vectors"] = measure_server(work / "encoders", None, None,
                                                                               args.idle, encoded)  # fmt: skip
        results["shipped KB + every encoder, cached vectors"]["encoded_first_in_s"] = encode_s
        for n, vectors in enumerate(tables):
            suffix = " + vectors" if vectors else ""
            results["shipped KB" + suffix] = measure_server(work / f"shipped{n}", None, vectors, args.idle)
            results[generated + suffix] = measure_server(work / f"generated{n}", work / "kb", vectors, args.idle)
    report = {"benchmark": "memory", "machine": machine(), "results": results}
    if args.format == "json":
        print(json.dumps(report, indent=2))
        return
    for name, figures in results.items():
        print(f"  helpdesk serve, {name:45} peak RSS {figures['peak_rss_mib']:7.1f} MiB, now {figures['rss_mib']:7.1f}"
              f" MiB, {figures['threads']} threads, idle CPU {figures['idle_cpu_share']:.1%}"
              f"  (ready in {figures['ready_s']} s)")


if __name__ == "__main__":
    main()
