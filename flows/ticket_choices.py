"""Moved to core.ticket_choices (channels see and send back these ids; the web chat relabels them); what
flows.engine still imports by this name, until it imports core.ticket_choices itself."""

from __future__ import annotations

from core.ticket_choices import SPLIT as SPLIT
from core.ticket_choices import TicketChoice as TicketChoice
from core.ticket_choices import label as label
from core.ticket_choices import parse as parse
