"""Priority P1-P4 from the user's answers about impact, with the reason shown to them and to operators."""

from __future__ import annotations

from dataclasses import dataclass

IMPACTS = ("everyone_stopped", "me_stopped", "slowed", "no_urgency")
CATEGORIES = ("functional", "technical", "bug", "enhancement")

# (impact, has a workaround) -> priority; follows the programme's matrix: P1 business halted with no
# workaround, P2 a key part unusable, P3 moderate, P4 low (a workaround exists or no urgency).
_MATRIX: dict[tuple[str, bool], str] = {
    ("everyone_stopped", False): "P1",
    ("everyone_stopped", True): "P2",
    ("me_stopped", False): "P2",
    ("me_stopped", True): "P3",
    ("slowed", False): "P3",
    ("slowed", True): "P4",
    ("no_urgency", False): "P4",
    ("no_urgency", True): "P4",
}


@dataclass(frozen=True)
class Priority:
    """A derived priority; `reason` is a message key whose text explains it to the user."""

    level: str
    reason: str


def derive_priority(category: str, impact: str, has_workaround: bool) -> Priority:
    """The priority for a problem; a change request is planned work, so never above P3."""
    if impact not in IMPACTS:
        raise ValueError(f"unknown impact {impact!r}")
    level = _MATRIX[(impact, has_workaround)]
    workaround = "workaround" if has_workaround else "no_workaround"
    if category == "enhancement" and level in ("P1", "P2"):
        return Priority("P3", "priority.reason.enhancement")
    return Priority(level, f"priority.reason.{impact}.{workaround}")
