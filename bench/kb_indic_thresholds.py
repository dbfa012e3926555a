"""The abstain policies of kb.matcher.ROUTES on the shipped knowledge base (threshold, disagreement rise,
clear margin), chosen on validation data only: the leave-one-phrasing-out outcomes of the knowledge base's
phrasings of odd position in the scripts asked for (the even ones are left to report on) and the
out-of-scope rows of kb/tuning/*-oos.yaml in those scripts. kb/eval stays a check.

Also prints leave-one-phrasing-out top-1 on the validation half, the other half and all, at the routes as
they are, and the lexical matcher's top-1 on the same phrasings (grouped by the fused matcher's route, so
romanised questions are compared with romanised ones).

Prints JSON. Run: .venv/bin/python -m bench.kb_indic_thresholds [--scripts latin] [--out FILE]
(minutes: one rebuild per phrasing; the default scripts are odia,devanagari).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from bench.printed import print_figures
from kb.encoders import load_encoders
from kb.evaluate import Outcome, by_script, choose_policies, load_cases, run_cases
from kb.loader import load_knowledge_base
from kb.loo import held_out, remembering
from kb.matcher import LexicalMatcher
from kb.normalize import script_of

ROOT = Path(__file__).resolve().parent.parent


def _top1(outcomes: list[Outcome]) -> dict[str, object]:
    scripts: dict[str, list[bool]] = {}
    for o in outcomes:
        scripts.setdefault(o.script, []).append(o.top == o.case.expected)
    return {k: {"top1": round(sum(v) / len(v), 4), "n": len(v)} for k, v in scripts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--scripts", default="odia,devanagari")
    args = parser.parse_args()
    scripts = set(args.scripts.split(","))
    kb = load_knowledge_base(ROOT / "kb" / "content")
    wanted = [*(["minilm"] if "latin" in scripts else []), *(["e5"] if scripts - {"latin"} else [])]
    encoders = remembering(load_encoders(1, wanted))
    halves: dict[str, list[Outcome]] = {"validation": [], "reported": []}
    lexical: list[Outcome] = []  # the same cases, lexical only, under the fused matcher's route
    for position, (smaller, case) in enumerate(held_out(kb)):
        if script_of(case.text) in scripts:
            half = "validation" if position % 2 else "reported"
            fused = run_cases(LexicalMatcher(smaller, encoders=encoders), [case])
            halves[half] += fused
            lexical += [replace(o, script=fused[0].script) for o in run_cases(LexicalMatcher(smaller), [case])]
    rows = [case for path in sorted((ROOT / "kb" / "tuning").glob("*-oos.yaml")) for case in load_cases(path)]
    oos = run_cases(LexicalMatcher(kb, encoders=encoders), [case for case in rows if script_of(case.text) in scripts])
    tuning = halves["validation"] + oos
    policies = choose_policies(tuning)
    thresholds = {script: policy.threshold for script, policy in policies.items()}
    figures = {k: v.as_dict() for k, v in by_script(tuning, thresholds, len(kb.entries)).items()}
    shown = {
        "policies": {k: v.__dict__ for k, v in policies.items()},
        "validation_figures": figures,
        "leave_one_out_top1": {
            "validation_half": _top1(halves["validation"]),
            "other_half": _top1(halves["reported"]),
            "all": _top1(halves["validation"] + halves["reported"]),
            "lexical_all": _top1(lexical),
        },
    }
    print_figures(shown, args.out)


if __name__ == "__main__":
    main()
