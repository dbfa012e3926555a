"""The Odia and Devanagari abstain thresholds of kb.matcher.ROUTES, chosen on validation data only: the
leave-one-phrasing-out outcomes of the shipped knowledge base's Odia and Devanagari phrasings (every third)
and the out-of-scope rows of kb/tuning/indic-oos.yaml. kb/eval stays a check.

Prints JSON. Run: .venv/bin/python -m bench.kb_indic_thresholds (a few minutes: one rebuild per phrasing).
"""

from __future__ import annotations

import json
from pathlib import Path

from kb.encoders import load_encoders
from kb.evaluate import Outcome, by_script, choose_thresholds, load_cases, run_cases
from kb.loader import load_knowledge_base
from kb.loo import held_out, remembering
from kb.matcher import LexicalMatcher
from kb.normalize import script_of

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    kb = load_knowledge_base(ROOT / "kb" / "content")
    encoders = remembering(load_encoders(1, ["e5"]))
    outcomes: list[Outcome] = []
    for smaller, case in held_out(kb, every=3):
        if script_of(case.text) != "latin":
            outcomes += run_cases(LexicalMatcher(smaller, encoders=encoders), [case])
    outcomes += run_cases(LexicalMatcher(kb, encoders=encoders), load_cases(ROOT / "kb" / "tuning" / "indic-oos.yaml"))
    thresholds = choose_thresholds(outcomes)
    figures = {k: v.as_dict() for k, v in by_script(outcomes, thresholds, len(kb.entries)).items()}
    print(json.dumps({"thresholds": thresholds, "n": len(outcomes), "figures": figures}, indent=1))


if __name__ == "__main__":
    main()
