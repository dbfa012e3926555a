"""Tickets: models, stores, numbers, priority rules, routing to tiers."""
