"""Operator and knowledge-base HTTP API (arrives with the ticket/API issue)."""
