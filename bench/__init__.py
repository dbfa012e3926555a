"""Benchmarks: scripts that print figures and never assert; see bench/README.md."""
