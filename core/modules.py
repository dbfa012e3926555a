"""The app modules a problem can be about: codes shared by the knowledge base, the flow and tickets."""

from __future__ import annotations

# Codes only; the names users see come from the message catalogues (key `module.<code>`).
MENU_MODULES: tuple[str, ...] = (
    "project",
    "estimate",
    "work_order",
    "measurement_book",
    "attendance",
    "wage_seeker",
    "bills",
    "payments",
    "login",
    "other",
)
# Knowledge-base entries may also be filed under these topics, which the menu folds into "other".
EXTRA_TOPICS: tuple[str, ...] = ("organisation", "helpdesk", "device")
KNOWN_MODULES: frozenset[str] = frozenset(MENU_MODULES + EXTRA_TOPICS)
