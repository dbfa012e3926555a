"""How the benchmark scripts give their figures: JSON on standard output, and in a file when asked (--out)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def print_figures(figures: Any, out: Path | None, indent: int = 1) -> None:
    text = json.dumps(figures, indent=indent)
    print(text)
    if out:
        out.write_text(text + "\n", encoding="utf-8")
