"""The committed diagram is the flow's own: regenerate it with `helpdesk flow diagram` when the flow changes."""

from __future__ import annotations

from flows.diagram import DIAGRAM_FILE, document
from flows.flow import STATES


def test_the_committed_flow_diagram_is_up_to_date() -> None:
    assert DIAGRAM_FILE.read_text(encoding="utf-8") == document(), "stale: run `helpdesk flow diagram`"


def test_the_diagram_shows_every_state() -> None:
    text = document()
    assert all(f'state "{state}"' in text for state in STATES)
