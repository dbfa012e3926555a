"""Leave-one-phrasing-out on the shipped knowledge base with e5's queries cut to a given length: what the cap
on a query's tokens (kb.encoders.QUERY_TOKENS) costs in quality. One cap per run.

Prints JSON and never asserts. Run: .venv/bin/python -m bench.kb_query_caps --cap 24 [--indic-only]
(--indic-only: only the Odia and Devanagari phrasings are held out, the ones e5 encodes; half the time).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from kb.encoders import QUERY_TOKENS, load_encoders
from kb.evaluate import Outcome, by_script, run_cases
from kb.loader import load_knowledge_base
from kb.loo import held_out, remembering
from kb.matcher import LexicalMatcher
from kb.normalize import SCRIPTS

CONTENT = Path(__file__).resolve().parent.parent / "kb" / "content"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cap", type=int, default=QUERY_TOKENS["e5"], help="e5 query tokens (default: as shipped)")
    parser.add_argument("--indic-only", action="store_true")
    args = parser.parse_args()
    QUERY_TOKENS["e5"] = args.cap
    load_average = [round(x, 2) for x in os.getloadavg()]
    kb = load_knowledge_base(CONTENT)
    encoders = remembering(load_encoders(1))  # each text encoded once, though a matcher is built per phrasing
    started = time.perf_counter()
    outcomes: list[Outcome] = []
    for smaller, case in held_out(kb):
        if not args.indic_only or case.lang in ("or", "hi"):
            outcomes.extend(run_cases(LexicalMatcher(smaller, encoders=encoders, cache=None), [case]))
    matcher = LexicalMatcher(kb, encoders=encoders, cache=None)
    table = by_script(outcomes, {s: matcher.threshold_for(s) for s in SCRIPTS}, len(kb.entries))
    figures = {
        "e5_query_tokens": args.cap,
        "scripts": {
            script: {"top1": round(m.top1, 4), "overall": round(m.overall_accuracy, 4), "queries": m.queries}
            for script, m in table.items()
        },
        "seconds": round(time.perf_counter() - started),
        "load_average": {"start": load_average, "end": [round(x, 2) for x in os.getloadavg()]},
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
