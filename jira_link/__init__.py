"""JIRA hand-off: escalated bugs and enhancements become JIRA issues for the vendor's team, and the
vendor's resolutions and public comments come back to the user (see tickets/handoff.py for the queueing)."""
