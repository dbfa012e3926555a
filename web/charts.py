"""Bar charts as SVG geometry, computed here and drawn by a template macro (no chart library, no script)."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 600
BAR_ROW = 22  # height of one horizontal bar's row
LABEL_W = 150


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as printed beside the bar
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Chart:
    title: str
    bars: tuple[Bar, ...]
    width: int
    height: int
    vertical: bool


def horizontal(title: str, data: dict[str, int]) -> Chart:
    """One bar per key, longest for the largest value; for breakdowns (by ULB, module...)."""
    top = max(data.values(), default=0) or 1
    room = WIDTH - LABEL_W - 40
    bars = tuple(Bar(label, value, str(value), LABEL_W, i * BAR_ROW + 4, room * value / top, BAR_ROW - 6)
                 for i, (label, value) in enumerate(data.items()))
    return Chart(title, bars, WIDTH, max(len(bars), 1) * BAR_ROW + 8, vertical=False)


def vertical(title: str, data: dict[str, int], height: int = 180) -> Chart:
    """One column per key in order; for a series over days."""
    top = max(data.values(), default=0) or 1
    room = height - 40
    step = (WIDTH - 20) / max(len(data), 1)
    bars = tuple(Bar(label, value, str(value), 10 + i * step + step * 0.15, height - 24 - room * value / top,
                     step * 0.7, room * value / top) for i, (label, value) in enumerate(data.items()))
    return Chart(title, bars, WIDTH, height, vertical=True)
