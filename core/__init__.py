"""Shared foundations: settings, database, neutral message types, errors, i18n. No business rules."""
